// `render`: exports scenes as MP4, WebM, GIF or numbered PNG frames, drawn in Node with the
// page's own scene code (src/export/). Lists the scenes with --list. No browser involved.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_COMPARE_PROMPT, DEFAULT_GENERATED_TOKENS, DEFAULT_PROMPT, explain, InputError } from '../../model/explain.ts';
import type { Scene } from '../../scenes/contract.ts';
import type { Theme } from '../../render/theme.ts';
import { SCENES, sceneByName, scenesFor } from '../../scenes/index.ts';
import { ExportError } from '../../export/errors.ts';
import { exportScene, type ExportResult } from '../../export/export-scene.ts';
import { checkFfmpeg } from '../../export/ffmpeg.ts';
import { defaultFrameRate, extensionOf, formatOfPath, FORMATS, parseSize, type ExportFormat } from '../../export/formats.ts';
import { checkOutputFolder } from '../../export/output.ts';
import { exportPicture, pictureFormatOf } from '../../export/picture.ts';
import { ProgressBar } from '../../export/progress-bar.ts';
import { loadAnyForCli, promptIds } from '../load.ts';
import { numberFlag, parseFlags, UsageError, type CommandSpec } from '../usage.ts';

const USAGE = `animated-transformer render --list [--model DIR] [--prompt TEXT]
       animated-transformer render --scene NAME|all --out PATH [options]
       animated-transformer render --scene NAME --at SECONDS --out figure.svg|figure.png

  Draws scenes with the page's own code and encodes them with ffmpeg (Debian package
  "ffmpeg"); no browser window. The output appears only when complete. With --at, one
  frame as a picture: SVG (vector, numbers and captions as text) or PNG; no ffmpeg needed.

  --list            print every scene's name, duration and title
  --scene NAME|all  the scene to export; "all" exports every scene into the folder --out
  --out PATH        clip.mp4 (H.264), clip.webm (VP9), clip.gif (looping), or a folder
                    name without extension for numbered PNG frames (frame-00000.png, ...)
  --at S            draw the frame at S seconds as a picture (--out ending in .svg or .png)
  --format F        with --scene all: mp4, webm, gif or png (default mp4)
  --prompt TEXT     the prompt the model reads (default "${DEFAULT_PROMPT}")
  --compare TEXT    the second prompt the compare-* scenes set beside it (default "${DEFAULT_COMPARE_PROMPT}")
  --model DIR       a GPT-2-layout or Llama-family folder (config.json + weights); default: the embedded model
  --block B --head H  the block and head the attention scenes show (default 0 0; --layer is --block)
  --position I      the token the logit-lens scene reads, from 0 (default: the last)
  --window N        context window of the generation scene (default: the model's)
  --size WxH        frame size in pixels (default 1280x720; H.264 and VP9 round odd sides up)
  --fps N           frames per second (default 30; GIFs 25, and other rates round to what a GIF can show)
  --theme T         light or dark (default light)
  --from S --to S   export only the part of the scene between these times in seconds
  --variable-frame-rate  store each held frame once (MP4/WebM): smaller files, faster export;
                    players are fine with it, some video editors prefer the constant default`;

const FLAGS = {
  list: { type: 'boolean' },
  scene: { type: 'string' },
  at: { type: 'string' },
  out: { type: 'string' },
  format: { type: 'string' },
  prompt: { type: 'string' },
  compare: { type: 'string' },
  model: { type: 'string' },
  block: { type: 'string' },
  layer: { type: 'string' },
  head: { type: 'string' },
  position: { type: 'string' },
  window: { type: 'string' },
  size: { type: 'string' },
  fps: { type: 'string' },
  theme: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'variable-frame-rate': { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseFlags<typeof FLAGS>>['values'];

/**
 * Loads the model, runs the prompt once, and builds the named scenes from that one explanation
 * ("all": every scene this model has a step for).
 */
async function buildScenes(values: Values, names: string[] | 'all'): Promise<Scene[]> {
  const { model, tokenizer, name, context, vocabSize } = await loadAnyForCli(values.model);
  if (values.block !== undefined && values.layer !== undefined) throw new UsageError('--block and --layer are the same; give one of them');
  const layer = numberFlag(values.block ?? values.layer, values.block !== undefined ? '--block' : '--layer', 0, { min: 0, integer: true });
  const head = numberFlag(values.head, '--head', 0, { min: 0, integer: true });
  const window = numberFlag(values.window, '--window', context, { min: 1, integer: true });
  const prompt = values.prompt ?? DEFAULT_PROMPT;
  let lensPosition: number | undefined;
  if (values.position !== undefined) {
    lensPosition = numberFlag(values.position, '--position', 0, { min: 0, integer: true });
    const T = promptIds(tokenizer, prompt, context, vocabSize).ids.length;
    if (lensPosition >= T) throw new UsageError(`--position must be from 0 to ${T - 1} (the prompt has ${T} tokens), got "${values.position}"`);
  }
  // The second prompt is run only for the scenes that show it.
  const compares = names === 'all' || names.some((n) => sceneByName(n)!.comparesPrompts);
  if (values.compare !== undefined && !compares) {
    throw new UsageError(`--compare is for the scenes that compare two prompts: ${SCENES.filter((s) => s.comparesPrompts).map((s) => s.name).join(', ')} (or all)`);
  }
  const explanation = explain(model, tokenizer, prompt, {
    modelName: name,
    layer,
    head,
    generateTokens: DEFAULT_GENERATED_TOKENS,
    generationWindow: Math.min(window, context),
    lensPosition,
    compare: compares ? (values.compare ?? DEFAULT_COMPARE_PROMPT) : undefined,
  });
  if (explanation.secondPromptError) throw new InputError(explanation.secondPromptError);
  const own = scenesFor(explanation.config);
  if (names === 'all') return own.map((s) => s.build(explanation));
  const missing = names.find((n) => !own.some((s) => s.name === n));
  if (missing !== undefined) {
    throw new UsageError(`${name} has no step for the scene "${missing}" (${sceneByName(missing)!.title}); its scenes are: ${own.map((s) => s.name).join(', ')}`);
  }
  return names.map((n) => sceneByName(n)!.build(explanation));
}

async function list(values: Values): Promise<number> {
  const scenes = await buildScenes(values, 'all');
  const width = Math.max(...scenes.map((s) => s.name.length));
  for (const s of scenes) console.log(`${s.name.padEnd(width)}  ${s.durationSeconds.toFixed(1).padStart(5)} s  ${s.title}`);
  return 0;
}

function theme(value: string | undefined): Theme {
  if (value === undefined || value === 'light' || value === 'dark') return value ?? 'light';
  throw new UsageError(`--theme must be light or dark, got "${value}"`);
}

function sceneNames(value: string): string[] {
  if (value === 'all') return SCENES.map((s) => s.name);
  if (sceneByName(value)) return [value];
  throw new UsageError(`unknown scene "${value}"; the scenes are: ${SCENES.map((s) => s.name).join(', ')} (or "all")`);
}

/** Where each scene goes, and in which format: the --out file, or one file per scene in the --out folder. */
async function destinations(values: Values, names: string[], out: string): Promise<{ name: string; out: string }[]> {
  if (values.scene !== 'all') {
    if (values.format !== undefined) throw new UsageError('--format is only for --scene all; a single scene takes its format from --out');
    return [{ name: names[0], out }];
  }
  const format = (values.format ?? 'mp4') as ExportFormat;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got "${values.format}"`);
  if (/\.[A-Za-z0-9]+$/.test(out)) throw new UsageError(`with --scene all, --out is a folder to put one file per scene in, got "${out}"`);
  await mkdir(out, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
    throw new ExportError(`cannot create the folder "${out}": ${e.code ?? e.message}; choose another --out`);
  });
  return names.map((name) => ({ name, out: join(out, `${name}${extensionOf(format)}`) }));
}

async function render(values: Values): Promise<number> {
  if (values.list) return list(values);
  if (values.scene === undefined) throw new UsageError('give --scene NAME (or --scene all), or --list to see the scenes');
  if (values.out === undefined) throw new UsageError('give --out: a .mp4, .webm or .gif file, a folder for PNG frames, or with --at a .svg or .png picture');
  const names = sceneNames(values.scene);
  let size;
  try {
    size = parseSize(values.size ?? '1280x720');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const fpsGiven = values.fps === undefined ? undefined : numberFlag(values.fps, '--fps', 30, { min: 1, max: 120, integer: true });
  const from = values.from === undefined ? undefined : numberFlag(values.from, '--from', 0, { min: 0 });
  const to = values.to === undefined ? undefined : numberFlag(values.to, '--to', 0, { min: 0 });
  const chosenTheme = theme(values.theme);
  if (values.at !== undefined || pictureFormatOf(values.out)) return picture(values, names, values.out, size, chosenTheme);
  const targets = await destinations(values, names, values.out);
  let formats: ExportFormat[];
  try {
    formats = targets.map((t) => formatOfPath(t.out));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (formats.some((f) => f !== 'png')) checkFfmpeg();
  for (const t of targets) await checkOutputFolder(t.out);

  const scenes = await buildScenes(values, values.scene === 'all' ? 'all' : names);
  // "all" is every scene the model has a step for: its place in the targets keeps its file name and format.
  const place = scenes.map((s) => targets.findIndex((t) => t.name === s.name));
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  try {
    for (let i = 0; i < scenes.length; i++) {
      const bar = new ProgressBar(scenes.length > 1 ? `[${i + 1}/${scenes.length}] ${scenes[i].name}` : scenes[i].name);
      const started = performance.now();
      let result: ExportResult;
      try {
        result = await exportScene(scenes[i], {
          out: targets[place[i]].out,
          width: size.width,
          height: size.height,
          fps: fpsGiven ?? defaultFrameRate(formats[place[i]]),
          theme: chosenTheme,
          fromSeconds: from,
          toSeconds: to,
          constantFrameRate: !values['variable-frame-rate'],
          onNote: (note) => console.error(`note: ${note}`),
          onProgress: (p) => bar.update(p),
          signal: controller.signal,
        });
      } finally {
        bar.clear();
      }
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `wrote ${result.out}: ${result.width}x${result.height}, ${result.fps} fps, ${result.frames} frames ` +
          `(${result.durationSeconds.toFixed(2)} s) in ${seconds.toFixed(1)} s (${(result.durationSeconds / seconds).toFixed(2)}× real time)`,
      );
    }
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  return 0;
}

/** `render --at S --out figure.svg|.png`: one frame of one scene as a picture. */
async function picture(values: Values, names: string[], out: string, size: { width: number; height: number }, chosenTheme: Theme): Promise<number> {
  if (values.at === undefined) throw new UsageError(`give --at SECONDS: the moment of the scene to draw into "${out}"`);
  if (!pictureFormatOf(out)) throw new UsageError(`with --at, --out is a picture: a .svg or .png file, got "${out}"`);
  if (values.scene === 'all') throw new UsageError('--at draws one scene: give --scene NAME');
  for (const flag of ['fps', 'from', 'to', 'format', 'variable-frame-rate'] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} is for videos; a picture takes --at, --size and --theme`);
  }
  const at = numberFlag(values.at, '--at', 0, { min: 0 });
  await checkOutputFolder(out);
  const [scene] = await buildScenes(values, names);
  if (at > scene.durationSeconds) {
    throw new UsageError(`--at ${at} is past the end of "${scene.name}", which lasts ${scene.durationSeconds.toFixed(1)} s`);
  }
  const result = await exportPicture(scene, { out, width: size.width, height: size.height, theme: chosenTheme, atSeconds: at });
  console.log(`wrote ${result.out}: ${size.width}x${size.height} ${result.format.toUpperCase()}, "${scene.name}" at ${at} s`);
  return 0;
}

export const renderCommandSpec: CommandSpec = {
  name: 'render',
  summary: 'export scenes as MP4, WebM, GIF or PNG frames, or one frame as an SVG or PNG picture',
  usage: USAGE,
  async run(args) {
    const { values } = parseFlags(args, FLAGS, false);
    if (values.help) {
      console.log(`Usage: ${USAGE}`);
      return 0;
    }
    return render(values);
  },
};
