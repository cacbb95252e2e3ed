// Runs the Parquet input area's fault cases (test/reliability/parquet.cases.ts) through the CLI, one test each.
import { registerFaultCases } from './registerCases';
import { parquetCases } from './parquet.cases';

registerFaultCases(parquetCases);
