// parserFor(schema): the fastest RowParser that reads a schema. A schema of Criteo's shape (label, log1p
// dense, hex categoricals, TAB: the Kaggle and Terabyte presets) is read with Criteo's grammar by the Criteo
// parser alone (integer dense fields; its messages). Other schemas the Criteo parser's layout can express
// (layout.ts) get it with the delimited parser behind it: a block the Criteo parser finds a bad line
// in is parsed again by the delimited parser, which either reads it (decimal dense values, spaces, empty
// lines: what users' logs hold and the delimited grammar allows) or names the problem in its own words, so
// a schema reads the same whichever parser serves it (test/preprocess/parserParity.test.ts). Every other
// schema (header, quoting, strings, multi-hot, standardize, dates) gets the delimited parser alone.
import type { ColumnSchema } from './schema';
import { compileLayout, layoutProblem } from './layout';
import { CriteoParser, isCriteoShape } from './criteoParser';
import { DelimitedBlockParser } from './delimitedParser';
import type { ParsedBlock, ParseOptions, RowParser } from './rowParser';

/** The Criteo parser first, the delimited parser for the blocks it finds a bad line in. */
class CriteoFirstParser implements RowParser {
  constructor(
    private readonly fast: CriteoParser,
    private readonly general: DelimitedBlockParser,
  ) {}

  get fieldNames(): readonly string[] {
    return this.general.fieldNames;
  }

  get numDense(): number {
    return this.general.numDense;
  }

  get numTables(): number {
    return this.general.numTables;
  }

  parseBlock(bytes: Uint8Array, end: number, day: number, firstLine: number, lines: number): ParsedBlock {
    const block = this.fast.parseBlock(bytes, end, day, firstLine, lines);
    return block.firstError ? this.general.parseBlock(bytes, end, day, firstLine, lines) : block;
  }
}

export function parserFor(schema: ColumnSchema, opts: ParseOptions): RowParser {
  const general = new DelimitedBlockParser(schema, opts);
  if (layoutProblem(schema) !== undefined || opts.rawDense) return general;
  const fast = new CriteoParser(compileLayout(schema, opts.withLabel ?? true), opts);
  return isCriteoShape(compileLayout(schema)) ? fast : new CriteoFirstParser(fast, general);
}
