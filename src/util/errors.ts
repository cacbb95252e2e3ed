// User-facing errors: bad input, bad flags, mismatched files. The CLI prints their message (no stack
// trace) and exits with a non-zero code; anything else that escapes is a bug and keeps its stack.

/** An error caused by the user's input, reported as one clear message naming the file, line and field. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'UserError';
  }
}

/** Where in an input file a problem was found; `line` is 1-based, `field` a 1-based column or a name. */
export interface InputLocation {
  file: string;
  line?: number;
  field?: number | string;
}

/** A UserError for bad input data, formatted as `file:line: field F: message`. */
export function inputError(at: InputLocation, message: string): UserError {
  let where = at.file;
  if (at.line !== undefined) where += `:${at.line}`;
  if (at.field !== undefined) where += `: field ${at.field}`;
  return new UserError(`${where}: ${message}`);
}
