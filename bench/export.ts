// Export speed of every scene as a multiple of real time (video seconds written per second),
// at 1920 × 1080 and 60 fps by default, beside a peer measured in the same run: ffmpeg alone
// encoding one fixed frame over and over with the same settings, the most any export through
// this encoder could reach on this machine at this moment. The goal is 2× real time on 2 cores.
// Because other work on the machine slows every wall-clock figure, CPU time is measured too
// (ours from process.cpuUsage, ffmpeg's from the children's total in /proc/self/stat) and
// turned into the speed two otherwise idle cores would give: video seconds divided by the
// larger of our CPU time (one thread draws) and half the total (two cores share the work).
// Both ways of storing held frames are timed: repeated (constant frame rate, the default) and
// stored once (--variable-frame-rate).
// Usage: npx tsx bench/export.ts [--model DIR] [--scenes a,b] [--size 1920x1080] [--fps 60] [--format mp4|webm]

import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { explain } from '../src/model/explain.ts';
import { loadAnyForCli } from '../src/cli/load.ts';
import type { Explanation } from '../src/model/explanation.ts';
import { scenesFor } from '../src/scenes/index.ts';
import { FrameCanvas } from '../src/export/canvas-frames.ts';
import { exportScene } from '../src/export/export-scene.ts';
import { FfmpegEncoder } from '../src/export/ffmpeg.ts';
import { encodeArgs, parseSize } from '../src/export/formats.ts';
import { sceneExplanation } from '../tests/helpers/scene-explanation.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    scenes: { type: 'string' },
    size: { type: 'string', default: '1920x1080' },
    fps: { type: 'string', default: '60' },
    format: { type: 'string', default: 'mp4' },
  },
});
const { width, height } = parseSize(values.size!);
const fps = Number(values.fps);
const format = values.format === 'webm' ? 'webm' : 'mp4';

async function explanation(): Promise<Explanation> {
  if (!values.model) return sceneExplanation(); // a seeded random GPT (C = 96) with GPT-2's tokenizer
  const { model, tokenizer, name } = await loadAnyForCli(values.model);
  return explain(model, tokenizer, 'The robots will bring', { modelName: name, generateTokens: 8 });
}

/** CPU seconds used by finished child processes (ffmpeg): cutime + cstime, in clock ticks of 1/100 s. */
function childCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ');
  // After "pid (comm) " the fields start at "state" (field 3); cutime and cstime are fields 16 and 17.
  return (Number(fields[16 - 3]) + Number(fields[17 - 3])) / 100;
}

const dir = mkdtempSync(join(tmpdir(), 'bench-export-'));
const load = () => loadavg()[0].toFixed(1);

/** ffmpeg alone: the same encoder settings fed one fixed frame, `count` times. */
async function encoderCeiling(frame: Buffer, count: number): Promise<number> {
  const encoder = new FfmpegEncoder({ width, height, fps }, encodeArgs(format, join(dir, `peer.${format}`), { fps, setpts: null, constantFrameRate: true }));
  const started = performance.now();
  for (let i = 0; i < count; i++) await encoder.write(frame);
  await encoder.finish();
  return count / fps / ((performance.now() - started) / 1000);
}

try {
  const ex = await explanation();
  console.log(`export to ${format} at ${width}x${height}, ${fps} fps; load average ${load()} on entry`);
  // The scenes this model has (RoPE only for a Llama-family model), or those named.
  const own = scenesFor(ex.config);
  const sample = new FrameCanvas(own[0].build(ex), width, height, 'light');
  sample.draw(Math.round(fps * 2), fps);
  const peer = await encoderCeiling(sample.rgba(), 4 * fps);
  console.log(`peer: ffmpeg alone on one repeated frame: ${peer.toFixed(2)}× real time\n`);
  console.log('                            constant frame rate (default)                      variable frame rate');
  const head = '× real  ÷ peer  idle 2-core  CPU ours/ffmpeg  file MB';
  console.log(`scene                   video s  ${head}   ${head}`);
  let videoTotal = 0;
  const wallTotal = [0, 0];
  const idleTotal = [0, 0];
  const names = values.scenes ? values.scenes.split(',') : own.map((s) => s.name);
  for (const name of names) {
    const definition = own.find((s) => s.name === name);
    if (!definition) throw new Error(`${ex.modelName} has no scene ${name}; its scenes are: ${own.map((s) => s.name).join(', ')}`);
    const scene = definition.build(ex);
    const cells: string[] = [];
    let duration = 0;
    for (const [m, constantFrameRate] of [true, false].entries()) {
      const out = join(dir, `${name}-${m}.${format}`);
      const cpu = process.cpuUsage();
      const children = childCpuSeconds();
      const started = performance.now();
      const result = await exportScene(scene, { out, width, height, fps, theme: 'light', constantFrameRate });
      const wall = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      const ours = (used.user + used.system) / 1e6;
      const theirs = childCpuSeconds() - children;
      const idleSeconds = Math.max(ours, (ours + theirs) / 2);
      const speed = result.durationSeconds / wall;
      duration = result.durationSeconds;
      wallTotal[m] += wall;
      idleTotal[m] += idleSeconds;
      cells.push(
        `${speed.toFixed(2).padStart(5)}×  ${(speed / peer).toFixed(2).padStart(6)}  ${(duration / idleSeconds).toFixed(2).padStart(10)}×  ` +
          `${ours.toFixed(1).padStart(7)}/${theirs.toFixed(1).padEnd(7)}  ${(statSync(out).size / 1e6).toFixed(2).padStart(7)}`,
      );
    }
    videoTotal += duration;
    console.log(`${name.padEnd(22)} ${duration.toFixed(1).padStart(8)} ${cells.join('   ')}`);
  }
  const overall = wallTotal.map((w) => (videoTotal / w).toFixed(2));
  const idle = idleTotal.map((w) => (videoTotal / w).toFixed(2));
  console.log(
    `\nall scenes: ${videoTotal.toFixed(1)} s of video; measured ${overall[0]}× real time at a constant frame rate, ${overall[1]}× at a variable one;` +
      `\nfrom CPU time, two idle cores would give ${idle[0]}× and ${idle[1]}×; load average ${load()} on exit`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
