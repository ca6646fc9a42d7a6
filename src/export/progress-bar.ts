// A one-line progress bar on stderr for the command line: frames done, frames per second and
// time left. Drawn only on a terminal; in a pipe or a log it stays silent (the command
// prints one summary line at the end instead).

import type { ExportProgress } from './export-scene.ts';

const BAR_WIDTH = 24;

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export class ProgressBar {
  private stageStart = performance.now();
  private stage: ExportProgress['stage'] | null = null;
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = stream.isTTY === true;
  }

  update(p: ExportProgress): void {
    const now = performance.now();
    if (p.stage !== this.stage) {
      this.stage = p.stage;
      this.stageStart = now;
    }
    // Redraw at most ten times a second, and always on the last frame.
    if (!this.tty || (now - this.lastDraw < 100 && p.done < p.total)) return;
    this.lastDraw = now;
    const seconds = (now - this.stageStart) / 1000;
    const fps = seconds > 0 ? p.done / seconds : 0;
    const left = fps > 0 ? (p.total - p.done) / fps : 0;
    const filled = Math.round((p.done / p.total) * BAR_WIDTH);
    const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
    const what =
      p.stage === 'held' ? 'finding held frames' : p.stage === 'palette' ? 'choosing GIF colours' : `${p.done}/${p.total} frames`;
    const line = `${this.label} ${bar} ${what}  ${fps.toFixed(1)} fps  ${clock(left)} left`;
    this.stream.write(`\r${line}\x1b[K`);
  }

  /** Clears the bar so the next message starts on a clean line. */
  clear(): void {
    if (this.tty && this.stage !== null) this.stream.write('\r\x1b[K');
  }
}
