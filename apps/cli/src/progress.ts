/**
 * Progress with an ETA on standard error: a bar redrawn in place on a terminal, or, when
 * standard error is a file or a pipe (CI, logs, tests), one line per tenth of the work and at
 * least every `lineEveryMs`, so a log shows the work moving without a line per step.
 */
export interface ProgressOptions {
  stream?: NodeJS.WriteStream | NodeJS.WritableStream;
  lineEveryMs?: number;
  now?: () => number;
}

export class Progress {
  private readonly stream: NodeJS.WritableStream;
  private readonly tty: boolean;
  private readonly lineEveryMs: number;
  private readonly now: () => number;
  private readonly startedAt: number;
  private startDone: number | null = null;
  private lastDrawn = 0;
  private lastTenth = -1;
  private done = 0;

  constructor(
    private readonly label: string,
    private total: number,
    options: ProgressOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.tty = (this.stream as NodeJS.WriteStream).isTTY === true;
    this.lineEveryMs = options.lineEveryMs ?? 2000;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
  }

  update(done: number, total = this.total): void {
    this.total = total;
    this.done = Math.min(done, total);
    // Work done before this run (a resumed rotation) does not count towards the rate.
    this.startDone ??= this.done;
    const now = this.now();
    const tenth = this.total > 0 ? Math.floor((this.done * 10) / this.total) : 10;
    if (this.tty) {
      if (now - this.lastDrawn < 100 && this.done < this.total) return;
      this.stream.write(`\r${this.line(now)}\u001b[K`);
    } else {
      if (tenth === this.lastTenth && now - this.lastDrawn < this.lineEveryMs) return;
      this.stream.write(`${this.line(now)}\n`);
    }
    this.lastTenth = tenth;
    this.lastDrawn = now;
  }

  finish(): void {
    this.lastTenth = -1;
    this.lastDrawn = 0;
    this.update(this.total);
    if (this.tty) this.stream.write('\n');
  }

  private line(now: number): string {
    const percent = this.total > 0 ? Math.floor((this.done * 100) / this.total) : 100;
    const width = 30;
    const filled = Math.round((percent / 100) * width);
    const bar = this.tty ? ` [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]` : '';
    return `${this.label}${bar} ${percent}% (${this.done}/${this.total}) ${this.eta(now)}`;
  }

  private eta(now: number): string {
    if (this.done >= this.total) return `done in ${formatSeconds((now - this.startedAt) / 1000)}`;
    const moved = this.done - (this.startDone ?? 0);
    if (moved <= 0) return 'ETA --';
    const rate = moved / Math.max(now - this.startedAt, 1);
    return `ETA ${formatSeconds((this.total - this.done) / rate / 1000)}`;
  }
}

export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
