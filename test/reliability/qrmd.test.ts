// The compressed-embedding fault cases (test/reliability/qrmd.cases.ts), one test each.
import { registerFaultCases } from './registerCases';
import { qrmdCases } from './qrmd.cases';

registerFaultCases(qrmdCases);
