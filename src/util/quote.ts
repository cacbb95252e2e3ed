// Showing values in messages. quoteInput is the one way an error or log line shows text taken from an
// input file: control characters (C0, DEL, C1) are escaped so a stray '\r' or escape byte cannot move the
// cursor or garble the terminal, and long values are cut, so a message stays one readable line.
// changeLine is the one way a message names a setting or input that differs from before ("NAME: was A,
// now B"), e.g. when a resumed run does not match the interrupted one.

/** Characters of a value shown before it is cut with '...'. */
export const QUOTE_MAX_CHARS = 40;

const ESCAPES: Record<string, string> = { '\r': '\\r', '\n': '\\n', '\t': '\\t' };

/** `'text'` with control characters escaped (\r, \n, \t, \xNN), cut after `max` characters with '...'. */
export function quoteInput(text: string, max = QUOTE_MAX_CHARS): string {
  const cut = text.length > max;
  const shown = (cut ? text.slice(0, max) : text).replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return `'${shown}'${cut ? '...' : ''}`;
}

/** A value as a message shows it: numbers and booleans as they are, strings quoted, anything else as JSON. */
export function showValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === undefined) return '(none)';
  return typeof v === 'string' ? quoteInput(v, 120) : quoteInput(JSON.stringify(v), 120);
}

/** "NAME: was A, now B". */
export function changeLine(name: string, was: unknown, now: unknown): string {
  return `${name}: was ${showValue(was)}, now ${showValue(now)}`;
}
