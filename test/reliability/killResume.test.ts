// One kill -9 + resume trial of preprocess and one of train (scripts/fault-matrix.ts runs more).
import { registerFaultCases } from './registerCases';
import { killResumeCases } from './killResume.cases';

registerFaultCases(killResumeCases(1, 7));
