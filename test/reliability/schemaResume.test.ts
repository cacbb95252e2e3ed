// Two kill -9 + resume trials of a --schema preprocess (scripts/fault-matrix.ts may run more).
import { registerFaultCases } from './registerCases';
import { schemaResumeCases } from './schemaResume.cases';

registerFaultCases(schemaResumeCases(2, 5));
