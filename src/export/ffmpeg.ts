// Runs Debian's ffmpeg as a child process that reads raw RGBA frames on its standard input.
// Keeps a couple of frames in flight so drawing the next frame overlaps with encoding the
// last one (ffmpeg is a second process, so it uses the second core), and turns ffmpeg's
// failures into one readable line.

import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { ExportCancelled, ExportError } from './errors.ts';

export const FFMPEG_MISSING =
  'ffmpeg was not found on the PATH; install it (Debian/Ubuntu: sudo apt-get install ffmpeg) and try again';

/** Fails early, before any drawing, when ffmpeg cannot be run. */
export function checkFfmpeg(): void {
  const probe = spawnSync('ffmpeg', ['-hide_banner', '-version'], { stdio: 'ignore' });
  if ((probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new ExportError(FFMPEG_MISSING);
  if (probe.error || probe.status !== 0) throw new ExportError(`ffmpeg does not run (${probe.error?.message ?? `exit code ${probe.status}`}); reinstall the Debian package ffmpeg`);
}

/** Frames queued in the pipe before drawing waits: enough to keep ffmpeg busy, little memory. */
const FRAMES_IN_FLIGHT = 3;

export interface RawInput {
  width: number;
  height: number;
  fps: number;
}

/** An ffmpeg process encoding frames written to it; `finish()` resolves when the file is complete. */
export class FfmpegEncoder {
  private readonly child: ChildProcessByStdio<Writable, null, Readable>;
  private readonly exited: Promise<void>;
  private readonly pending: Promise<void>[] = [];
  private stderrTail = '';
  private failure: Error | null = null;

  constructor(input: RawInput, outputArgs: string[], signal?: AbortSignal) {
    const args = [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
      '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${input.width}x${input.height}`, '-framerate', String(input.fps),
      '-i', 'pipe:0',
      ...outputArgs,
    ];
    this.child = spawn('ffmpeg', args, {
      stdio: ['pipe', 'ignore', 'pipe'],
      signal,
      killSignal: 'SIGKILL',
      // Its own process group: Ctrl-C reaches only us, and we stop ffmpeg and clean up in order.
      detached: true,
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
    });
    // A pipe closed early (ffmpeg died) surfaces as EPIPE here; the exit code tells the story.
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.child.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') this.failure = new ExportError(FFMPEG_MISSING);
        else if (error.name === 'AbortError') this.failure = new ExportCancelled();
        else this.failure = new ExportError(`could not run ffmpeg: ${error.message}`);
        resolve();
      });
      this.child.on('close', (code, sig) => {
        if (!this.failure && code !== 0) {
          if (signal?.aborted) this.failure = new ExportCancelled();
          else this.failure = new ExportError(`ffmpeg failed (${code === null ? `signal ${sig}` : `exit code ${code}`}): ${this.lastLine()}`);
        }
        resolve();
      });
    });
  }

  private lastLine(): string {
    const lines = this.stderrTail.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
    return lines.length > 0 ? lines[lines.length - 1] : 'no message';
  }

  /** Queues one frame; waits only when FRAMES_IN_FLIGHT frames are still unread by ffmpeg. */
  async write(frame: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    this.pending.push(
      new Promise<void>((resolve) => {
        this.child.stdin.write(frame, () => resolve());
      }),
    );
    if (this.pending.length >= FRAMES_IN_FLIGHT) {
      // Either the oldest frame is consumed or ffmpeg has gone; both end the wait.
      await Promise.race([this.pending.shift(), this.exited]);
      if (this.failure) throw this.failure;
    }
  }

  /** Closes the input and waits for ffmpeg to write the file; throws if it failed. */
  async finish(): Promise<void> {
    this.child.stdin.end();
    await this.exited;
    if (this.failure) throw this.failure;
  }

  /** Stops ffmpeg at once (on failure or cancel); safe to call more than once. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
