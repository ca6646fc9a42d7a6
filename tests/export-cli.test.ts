// `animated-transformer render` as a user runs it, in a child process: --list, one scene, all
// scenes, and each kind of bad input (unknown scene, odd size, unknown extension, a folder
// that cannot be written, no ffmpeg, Ctrl-C), each with its message, exit code, and no
// half-written output left behind. Renders are tiny (160x90, a few fps, a short time range).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveModelDir } from '../src/model/checkpoint-node.ts';
import type { GPTConfig } from '../src/model/config.ts';
import { SCENES, sceneByName, scenesFor } from '../src/scenes/index.ts';
import { DEFAULT_PROMPT } from '../src/model/explain.ts';
import { describeGpt2 } from '../src/model/architecture.ts';
import { llamaExplanation, llamaFixtureDir } from './helpers/llama-explanation.ts';
import { gpt2Tokenizer } from '../src/tokenizer/index.ts';
import { probe } from './export-probe.ts';
import { randomModel } from './helpers/random-model.ts';

const RUNNER = new URL('./export-cli-run.ts', import.meta.url).pathname;
/** The repository, as working directory, so `--import tsx` resolves. */
const REPO = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'export-cli-'));
const modelDir = join(dir, 'model');

/** A small random-weight model with GPT-2's tokenizer, so any English prompt works. */
const CONFIG: GPTConfig = { nLayer: 2, nHead: 4, nEmbd: 32, vocabSize: 50257, nPositions: 32, layerNormEpsilon: 1e-5, tieWordEmbeddings: true };

beforeAll(async () => {
  await saveModelDir(modelDir, CONFIG, randomModel(CONFIG, 3, 0.4).weights, { tokenizer: gpt2Tokenizer() });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function render(args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const r = spawnSync(process.execPath, ['--import', 'tsx', RUNNER, ...args], { encoding: 'utf8', env, cwd: REPO });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const small = ['--model', modelDir, '--size', '160x90', '--fps', '5'];
const leftovers = (folder: string) => readdirSync(folder).filter((f) => f.includes('.part'));

/** Scene durations as --list prints them (seconds, one decimal). */
function listed(): Map<string, number> {
  const r = render(['--list', '--model', modelDir]);
  expect(r.code).toBe(0);
  return new Map(r.stdout.trim().split('\n').map((line) => {
    const m = /^(\S+)\s+([\d.]+) s\s+\S/.exec(line);
    if (!m) throw new Error(`unexpected --list line: ${line}`);
    return [m[1], Number(m[2])] as [string, number];
  }));
}

describe('render, as a user runs it', () => {
  let durations: Map<string, number>;

  it('--list prints every scene with its duration', () => {
    durations = listed();
    // Every scene but RoPE's, a step GPT-2 does not have.
    expect([...durations.keys()]).toEqual(scenesFor(describeGpt2(CONFIG)).map((s) => s.name));
    expect(durations.has('rope')).toBe(false);
    for (const seconds of durations.values()) expect(seconds).toBeGreaterThan(1);
  });

  it('one scene to MP4: H.264 at the size and rate asked, as long as the scene (within a frame)', () => {
    const out = join(dir, 'tokenization.mp4');
    const r = render(['--scene', 'tokenization', '--out', out, ...small]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*tokenization\.mp4: 160x90, 5 fps/);
    const p = probe(out);
    expect(p).toMatchObject({ codec: 'h264', width: 160, height: 90, fps: 5 });
    // --list rounds to a tenth of a second; a frame at 5 fps is 0.2 s.
    expect(Math.abs(p.durationSeconds - durations.get('tokenization')!)).toBeLessThanOrEqual(0.2 + 0.05);
  });

  it('--scene all writes one file per scene into a folder', () => {
    const out = join(dir, 'all-clips');
    const r = render(['--scene', 'all', '--out', out, '--format', 'png', '--to', '0.2', ...small]);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(scenesFor(describeGpt2(CONFIG)).map((s) => s.name).sort());
    expect(readdirSync(join(out, 'qkv'))).toEqual(['frame-00000.png']);
  });

  it('a WebM, a GIF and a folder of PNG frames', () => {
    const webm = join(dir, 'heads.webm');
    expect(render(['--scene', 'heads', '--out', webm, '--to', '0.4', ...small]).code).toBe(0);
    expect(probe(webm)).toMatchObject({ codec: 'vp9', frames: 2 });
    const gif = join(dir, 'heads.gif');
    expect(render(['--scene', 'heads', '--out', gif, '--to', '1', ...small]).code).toBe(0);
    expect(probe(gif)).toMatchObject({ codec: 'gif', fps: 5, frames: 5 });
    const pngs = join(dir, 'heads-frames');
    expect(render(['--scene', 'heads', '--out', pngs, '--to', '0.6', ...small]).code).toBe(0);
    expect(readdirSync(pngs).sort()).toEqual(['frame-00000.png', 'frame-00001.png', 'frame-00002.png']);
  });
});

describe('render with a Llama-family folder', () => {
  const llama = ['--model', llamaFixtureDir('llama-smol-gqa'), '--size', '160x90', '--fps', '5'];

  it('--list and --scene all give the scenes the model has: RoPE in place of the position table and the sum', async () => {
    const own = scenesFor((await llamaExplanation('llama-smol-gqa')).config).map((s) => s.name);
    const r = render(['--list', '--model', llamaFixtureDir('llama-smol-gqa')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').map((line) => line.split(/\s+/)[0])).toEqual(own);
    expect(own).toContain('rope');
    expect(own).not.toContain('position-embeddings');
    const out = join(dir, 'llama-clips');
    expect(render(['--scene', 'all', '--out', out, '--format', 'png', '--to', '0.2', ...llama]).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([...own].sort());
  });

  it('a picture of the RoPE scene, as SVG with its numbers as text', async () => {
    const out = join(dir, 'rope.svg');
    const r = render(['--scene', 'rope', '--at', '14', '--out', out, '--model', llamaFixtureDir('llama-smol-gqa')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote .*rope\.svg/);
    // The numbers the scene shows at that moment, for the same prompt, block and head, are in the file as text.
    const ex = await llamaExplanation('llama-smol-gqa', DEFAULT_PROMPT, { layer: 0, head: 0 });
    const shown = sceneByName('rope')!.build(ex).numbersAt(14, 1280, 720).map((n) => n.text);
    expect(shown.length).toBeGreaterThan(5);
    const svg = readFileSync(out, 'utf8');
    for (const text of shown) expect(svg).toContain(`>${text}<`);
  });

  it('a scene the model has no step for: exit 2, naming the scenes it has, nothing written', () => {
    const out = join(dir, 'positions.mp4');
    const r = render(['--scene', 'position-embeddings', '--out', out, ...llama]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/llama-smol-gqa has no step for the scene "position-embeddings".*its scenes are: .*rope/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('render --position, for the logit lens', () => {
  it('picks the token the scene reads, and refuses one past the prompt with exit 2', () => {
    const svg = join(dir, 'lens.svg');
    const picture = ['--model', modelDir, '--size', '640x360'];
    const r = render(['--scene', 'logit-lens', '--at', '1.5', '--out', svg, '--position', '1', ...picture]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(svg, 'utf8')).toContain('What comes after “␣robots”');
    const bad = join(dir, 'lens-bad.svg');
    const refused = render(['--scene', 'logit-lens', '--at', '1.5', '--out', bad, '--position', '4', ...picture]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--position must be from 0 to 3');
    expect(existsSync(bad)).toBe(false);
  });
});

describe('render sets a second prompt beside the first (--compare)', () => {
  const picture = ['--model', modelDir, '--size', '640x360'];

  it('draws both prompts, the default second one without --compare, the one given with it', () => {
    const svg = join(dir, 'compare.svg');
    const given = render(['--scene', 'compare-prediction', '--at', '9', '--out', svg, '--prompt', 'The robots will bring', '--compare', 'The robots will carry', ...picture]);
    expect(given.stderr).toBe('');
    expect(given.code).toBe(0);
    const drawn = readFileSync(svg, 'utf8');
    expect(drawn).toContain('“The robots will bring”');
    expect(drawn).toContain('“The robots will carry”');
    const fallback = join(dir, 'compare-default.svg');
    expect(render(['--scene', 'compare-attention', '--at', '8', '--out', fallback, ...picture]).code).toBe(0);
    expect(readFileSync(fallback, 'utf8')).toContain('“The robots will destroy”');
  });

  it('refuses --compare for a scene that shows one prompt (exit 2), and an empty second prompt (exit 1), writing nothing', () => {
    const out = join(dir, 'compare-bad.svg');
    const lone = render(['--scene', 'qkv', '--at', '1', '--out', out, '--compare', 'The robots will carry', ...picture]);
    expect(lone.code).toBe(2);
    expect(lone.stderr).toContain('--compare is for the scenes that compare two prompts: compare-attention, compare-prediction, compare-lens');
    const empty = render(['--scene', 'compare-lens', '--at', '1', '--out', out, '--compare', '', ...picture]);
    expect(empty.code).toBe(1);
    expect(empty.stderr.trim()).toBe('animated-transformer render: Second prompt: The prompt is empty: type a few words for the model to continue.');
    expect(existsSync(out)).toBe(false);
  });
});

describe('render refuses bad input clearly and writes nothing', () => {
  it('an unknown scene: exit 2, and the valid names', () => {
    const r = render(['--scene', 'attention-maps', '--out', join(dir, 'x.mp4'), ...small]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown scene "attention-maps"');
    for (const s of SCENES) expect(r.stderr).toContain(s.name);
    expect(existsSync(join(dir, 'x.mp4'))).toBe(false);
  });

  it('an unknown extension: exit 2, naming the ones that work', () => {
    const r = render(['--scene', 'qkv', '--out', join(dir, 'clip.mov'), ...small]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown output type "\.mov".*\.mp4, \.webm or \.gif/);
  });

  it('an odd size for H.264 is rounded to even, and said so', () => {
    const out = join(dir, 'odd.mp4');
    const r = render(['--scene', 'qkv', '--out', out, '--to', '0.4', ...small, '--size', '161x91']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('note: H.264 needs even sides: using 162x92 instead of 161x91');
    expect(probe(out)).toMatchObject({ width: 162, height: 92 });
  });

  it('a folder that does not exist: exit 1, one line, no stack trace', () => {
    const r = render(['--scene', 'qkv', '--out', join(dir, 'nowhere', 'clip.mp4'), ...small]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/does not exist; create it or choose another --out/);
  });

  it('no ffmpeg on the PATH: exit 1, naming the Debian package', () => {
    const bin = join(dir, 'bin-without-ffmpeg');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const out = join(dir, 'no-ffmpeg.mp4');
    const r = render(['--scene', 'qkv', '--out', out, ...small], { ...process.env, PATH: bin });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ffmpeg was not found.*apt-get install ffmpeg/);
    expect(existsSync(out)).toBe(false);
  });

  it('bad numbers and themes are usage errors (exit 2)', () => {
    const out = join(dir, 'never.mp4');
    expect(render(['--scene', 'qkv', '--out', out, ...small, '--fps', '0']).code).toBe(2);
    expect(render(['--scene', 'qkv', '--out', out, ...small, '--size', 'big']).code).toBe(2);
    expect(render(['--scene', 'qkv', '--out', out, ...small, '--theme', 'blue']).code).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(render(['--scene', 'qkv', ...small]).stderr).toMatch(/give --out/);
  });

  it('Ctrl-C stops the render, exits 130 and leaves no file, finished or not', async () => {
    const out = join(dir, 'interrupted.mp4');
    const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, '--scene', 'qkv', '--out', out, '--model', modelDir, '--size', '640x360', '--fps', '30'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Wait until the temporary file exists, i.e. frames are being encoded.
    while (!readdirSync(dir).some((f) => f.startsWith('.interrupted.mp4.part'))) {
      if (child.exitCode !== null) throw new Error(`render ended early: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(stderr).toContain('cancelled');
    expect(existsSync(out)).toBe(false);
    expect(leftovers(dir)).toEqual([]);
  });
});
