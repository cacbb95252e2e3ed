// The one reader of a JSON file a user names (--config, --schema, --manifest, generator profiles): its text
// parsed, or a UserError naming the flag and file (cannot read it: the system error's code) or the file
// (not valid JSON: the parser's message). What the value must hold is the caller's check.
import * as fs from 'node:fs';
import { UserError } from './errors';

/** The parsed contents of `file`; `flag` (e.g. '--schema') prefixes the cannot-read message. */
export function readJsonFile(file: string, flag?: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(
      `${flag ? `${flag} ` : ''}${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${(err as Error).message})`);
  }
}
