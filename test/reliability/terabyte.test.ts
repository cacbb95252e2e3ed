// The Terabyte-route fault cases (test/reliability/terabyte.cases.ts), one test each.
import { registerFaultCases } from './registerCases';
import { terabyteCases } from './terabyte.cases';

registerFaultCases(terabyteCases);
