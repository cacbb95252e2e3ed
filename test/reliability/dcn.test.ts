// Runs the dcn area's fault cases (test/reliability/dcn.cases.ts) through the CLI, one test each.
import { registerFaultCases } from './registerCases';
import { dcnCases } from './dcn.cases';

registerFaultCases(dcnCases);
