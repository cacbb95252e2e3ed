// The terminal and input-text fault cases (terminal.cases.ts), one node:test test each.
import { registerFaultCases } from './registerCases';
import { terminalCases } from './terminal.cases';

registerFaultCases(terminalCases);
