/**
 * Pages done of total for one file: a redrawn bar on a terminal, one plain
 * line per change otherwise, so logs and pipes get readable text, not `\r` noise.
 */
export class Progress {
  private last = '';

  constructor(private readonly label: string, private readonly out: NodeJS.WriteStream = process.stdout) {}

  update(done: number, total: number | null): void {
    const count = `${done}/${total ?? '?'} pages`;
    if (count === this.last) return;
    this.last = count;
    if (!this.out.isTTY) {
      this.out.write(`${this.label}: ${count}\n`);
      return;
    }
    const width = 20;
    const filled = total ? Math.round((width * done) / total) : 0;
    this.out.write(`\r${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${count}`);
  }

  /** Ends the bar's line on a terminal, so what follows starts on its own. */
  finish(status: string): void {
    this.out.write(this.out.isTTY ? ` ${status}\n` : `${this.label}: ${status}\n`);
  }
}
