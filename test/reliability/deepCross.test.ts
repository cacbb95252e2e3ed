// Runs the --model dcn fault cases (test/reliability/deepCross.cases.ts) through the CLI, one test each.
import { registerFaultCases } from './registerCases';
import { deepCrossCases } from './deepCross.cases';

registerFaultCases(deepCrossCases);
