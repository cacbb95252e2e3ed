// Runs the serve fault cases (test/reliability/serve.cases.ts) one test each.
import { registerFaultCases } from './registerCases';
import { serveCases } from './serve.cases';

registerFaultCases(serveCases);
