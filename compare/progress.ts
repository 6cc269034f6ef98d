/**
 * Progress bars on stderr (stdout stays clean for the report path). On a terminal one bar
 * redraws in place; otherwise (CI, pipes) each phase prints one line when it starts and ends.
 */

export interface ProgressBar {
  update(done: number, total: number): void;
  end(summary: string): void;
}

const WIDTH = 24;

export class Progress {
  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly interactive = Boolean(process.stderr.isTTY),
  ) {}

  /** Starts the bar of one phase of one platform. */
  start(platform: string, phase: string): ProgressBar {
    const label = `${platform.padEnd(10)} ${phase.padEnd(16)}`;
    const started = Date.now();
    let lastDraw = 0;
    if (!this.interactive) this.stream.write(`${label} …\n`);
    return {
      update: (done, total) => {
        if (!this.interactive || Date.now() - lastDraw < 100) return;
        lastDraw = Date.now();
        this.stream.write(`\r${label} ${renderBar(done, total)}`);
      },
      end: (summary) => {
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        if (this.interactive) this.stream.write(`\r\x1b[2K${label} ${renderBar(1, 1)} ${summary} (${seconds} s)\n`);
        else this.stream.write(`${label} ${summary} (${seconds} s)\n`);
      },
    };
  }

  note(line: string): void {
    this.stream.write(`${line}\n`);
  }
}

export function renderBar(done: number, total: number): string {
  const ratio = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(ratio * WIDTH);
  return `[${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}%`;
}
