// The one out-of-vocabulary rule of every schema: the embedding row an unseen key (predict, serve) maps to.
// With --min-frequency it is the shared rare row F (the table's last row, where rare keys went); without, it
// is the row of the column's missing value (the empty field: Criteo's 0, a string column's hash of ""),
// or row 0 when the missing value never appeared (and for multi-hot columns, whose missing value is the
// empty bag).

/** `rareIndex`: F with --min-frequency, else -1; `missingIndex`: the missing value's row, or -1. */
export function oovIndex(rareIndex: number, missingIndex: number): number {
  return rareIndex >= 0 ? rareIndex : Math.max(0, missingIndex);
}
