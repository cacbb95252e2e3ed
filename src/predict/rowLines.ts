// The input line number of each row a raw-row source yields, in order: the source pushes the line numbers
// of a block's rows before it yields the block's batches, and `dlrm predict` takes as many as each batch
// has rows, so the CSV's `line` is the line in the input file (1-based, header and empty lines counted)
// whatever the batching. Holds at most the line numbers of the block being read.

export class RowLines {
  private chunks: Float64Array[] = [];
  /** Position in chunks[0] of the next line number to take. */
  private at = 0;

  /** Appends the line numbers of the next rows. */
  push(lines: Float64Array): void {
    if (lines.length > 0) this.chunks.push(lines);
  }

  /** The line numbers of the next `n` rows (throws when the source pushed fewer: a bug, not bad input). */
  take(n: number): Float64Array {
    const out = new Float64Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0];
      if (!chunk) throw new Error(`RowLines: ${n} line numbers asked, ${filled} pushed`);
      const k = Math.min(n - filled, chunk.length - this.at);
      out.set(chunk.subarray(this.at, this.at + k), filled);
      filled += k;
      this.at += k;
      if (this.at === chunk.length) {
        this.chunks.shift();
        this.at = 0;
      }
    }
    return out;
  }
}
