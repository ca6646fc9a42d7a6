// One frame as a picture (`render --at S --out figure.svg|.png`): the SVG is well-formed XML,
// holds every number the frame shows as <text>, and rasterised it looks like the PNG of the
// same frame (and not like a PNG of another moment). Drawn with a random-weight model in Node.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { afterAll, describe, expect, it } from 'vitest';
import { scenePng, sceneSvg } from '../src/export/picture.ts';
import { SCENES } from '../src/scenes/index.ts';
import { parseFont } from '../src/export/svg-dom.ts';
import { sceneExplanation } from './helpers/scene-explanation.ts';

const W = 640;
const H = 360;
const dir = mkdtempSync(join(tmpdir(), 'picture-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function build(name: string) {
  return SCENES.find((s) => s.name === name)!.build(sceneExplanation());
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|amp|#(\d+));/g, (_, name: string, code?: string) =>
    code ? String.fromCodePoint(Number(code)) : ({ lt: '<', gt: '>', quot: '"', amp: '&' })[name]!,
  );
}

/** Throws unless every tag is closed in order and every attribute is quoted: well-formed XML. */
function checkWellFormed(svg: string): void {
  const body = svg.replace(/^<\?xml[^>]*\?>\s*/, '');
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/gy;
  for (let m; (m = tag.exec(body)); ) {
    if (m[6]) throw new Error(`a stray "<" at ${m.index}: ${body.slice(m.index, m.index + 40)}`);
    if (m[5] !== undefined) {
      if (/&(?!(lt|gt|quot|amp|apos|#\d+);)/.test(m[5])) throw new Error(`an unescaped "&" in text at ${m.index}`);
      continue;
    }
    if (m[1]) {
      const open = stack.pop();
      if (open !== m[2]) throw new Error(`</${m[2]}> closes <${open}>`);
    } else if (!m[4]) stack.push(m[2]);
  }
  if (tag.lastIndex !== 0 && tag.lastIndex < body.trimEnd().length) throw new Error(`cannot read the SVG from ${tag.lastIndex}`);
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
}

/** The text content of every <text> element. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => unescapeXml(m[1]));
}

/** The picture shrunk eightfold: each pixel the mean of 8 × 8, so a glyph a pixel or two off matters little. */
async function pixels(bytes: Buffer): Promise<Uint8ClampedArray> {
  const image = await loadImage(bytes);
  expect([image.width, image.height]).toEqual([W, H]);
  const full = createCanvas(W, H);
  full.getContext('2d').drawImage(image, 0, 0, W, H);
  const small = createCanvas(W / 8, H / 8);
  const ctx = small.getContext('2d');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(full, 0, 0, W / 8, H / 8);
  return ctx.getImageData(0, 0, W / 8, H / 8).data;
}

function meanDifference(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe('a frame as SVG', () => {
  for (const name of ['attention-scores', 'qkv', 'prediction', 'tokenization']) {
    it(`${name}: well-formed, its numbers as text, and it looks like the PNG`, async () => {
      const scene = build(name);
      const t = scene.durationSeconds * 0.7;
      const svg = sceneSvg(scene, t, W, H, 'light');
      checkWellFormed(svg);
      expect(svg).toContain(`viewBox="0 0 ${W} ${H}"`);

      const shown = texts(svg);
      const numbers = scene.numbersAt(t, W, H);
      expect(numbers.length).toBeGreaterThan(0);
      const missing = numbers.filter((n) => !shown.includes(n.text)).map((n) => n.text);
      expect(missing).toEqual([]);
      expect(shown.some((s) => s.includes(scene.title))).toBe(true);

      const [fromSvg, samePng, otherPng] = await Promise.all([
        pixels(Buffer.from(svg)),
        scenePng(scene, t, W, H, 'light').then((b) => pixels(Buffer.from(b))),
        scenePng(scene, 0.3, W, H, 'light').then((b) => pixels(Buffer.from(b))),
      ]);
      const same = meanDifference(fromSvg, samePng);
      const other = meanDifference(fromSvg, otherPng);
      // Text is rasterised by another engine (and Skia's SVG module places a baseline a little
      // differently), so the same frame is close rather than equal; the start of the scene is clearly farther (1.6 times or more: the prediction scene's two frames share most of their pixels).
      expect(same).toBeLessThan(3.5);
      expect(other).toBeGreaterThan(same * 1.6);
    });
  }

  it('keeps the dark theme and leaves no fake document behind', () => {
    const scene = build('qkv');
    const svg = sceneSvg(scene, 1, W, H, 'dark');
    expect(svg).toContain('fill="#121519"');
    expect((globalThis as { document?: unknown }).document).toBeUndefined();
  });

  it('reads the canvas font shorthand back as its parts', () => {
    expect(parseFont('italic bold 13.5px "DejaVu Sans", Arial, sans-serif')).toEqual({
      fontFamily: '"DejaVu Sans", Arial, sans-serif',
      fontSize: '13.5px',
      fontStyle: 'italic',
      fontWeight: 'bold',
    });
    expect(parseFont('12.0px Menlo').fontWeight).toBe('normal');
  });
});

describe('render --at', () => {
  const RUNNER = new URL('./export-cli-run.ts', import.meta.url).pathname;
  const REPO = new URL('..', import.meta.url).pathname;
  const render = (args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', RUNNER, ...args], { encoding: 'utf8', cwd: REPO });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('writes an SVG and a PNG of the embedded model, and explains bad input', () => {
    const svg = join(dir, 'figure.svg');
    const png = join(dir, 'figure.png');
    const a = render(['--scene', 'mask-softmax', '--at', '4', '--size', '320x180', '--out', svg]);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('wrote');
    expect(readFileSync(svg, 'utf8')).toMatch(/^<\?xml[^]*<svg [^]*<text[^]*<\/svg>\n$/);
    expect(render(['--scene', 'mask-softmax', '--at', '4', '--size', '320x180', '--out', png]).code).toBe(0);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');

    const late = render(['--scene', 'mask-softmax', '--at', '9999', '--out', join(dir, 'late.svg')]);
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(/--at 9999 is past the end of "mask-softmax", which lasts [\d.]+ s/);
    const noAt = render(['--scene', 'qkv', '--out', join(dir, 'x.svg')]);
    expect(noAt.code).toBe(2);
    expect(noAt.stderr).toContain('give --at SECONDS');
    const video = render(['--scene', 'qkv', '--at', '1', '--out', join(dir, 'x.mp4')]);
    expect(video.code).toBe(2);
    expect(video.stderr).toContain('a .svg or .png file');
    expect(existsSync(join(dir, 'late.svg')) || existsSync(join(dir, 'x.svg'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});
