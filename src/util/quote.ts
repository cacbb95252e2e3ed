// Quoting input values in messages: the one way an error or log line shows text taken from an input file.
// Control characters (C0, DEL, C1) are escaped so a stray '\r' or escape byte cannot move the cursor or
// garble the terminal, and long values are cut, so a message stays one readable line.

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
