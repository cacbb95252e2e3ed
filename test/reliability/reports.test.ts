// Runs the reports area's fault cases (test/reliability/reports.cases.ts) through the CLI, one test each.
import { registerFaultCases } from './registerCases';
import { reportsCases } from './reports.cases';

registerFaultCases(reportsCases);
