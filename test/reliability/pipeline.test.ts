// The fault cases of the one preprocess pipeline on users' own logs (test/reliability/pipeline.cases.ts), one test each.
import { registerFaultCases } from './registerCases';
import { pipelineCases } from './pipeline.cases';

registerFaultCases(pipelineCases);
