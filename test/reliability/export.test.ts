// The export/import fault cases (test/reliability/export.cases.ts), one test each.
import { registerFaultCases } from './registerCases';
import { exportCases } from './export.cases';

registerFaultCases(exportCases);
