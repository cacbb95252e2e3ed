// The corruption cases of the reliability matrix (corruption.cases.ts), one node:test test each.
import { registerFaultCases } from './registerCases';
import { corruptionCases } from './corruption.cases';

registerFaultCases(corruptionCases);
