// The --precision bf16 fault cases (test/reliability/bf16.cases.ts), one test each.
import { registerFaultCases } from './registerCases';
import { bf16Cases } from './bf16.cases';

registerFaultCases(bf16Cases);
