// The package as a user gets it: `npm pack` (which runs the prepack build), the tarball
// unpacked into an empty project, then the command line run there with plain node (no tsx),
// a TypeScript file importing the library type-checked with the repository's compiler, and
// plain HTML pages using the element from node_modules, served by a plain static server under a
// sub-path and opened in headless Chromium.
// The machine has no registry access, and `npm install --offline <tarball>` fails here because
// the npm cache does not hold the dependencies; so the tarball is unpacked into the project's
// node_modules by hand and its runtime dependencies linked from this repository's.

import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TransformerSceneElement } from '../src/web/player.ts';
import { launchChromium, watchedPage } from './browser/helpers.ts';
import { pageReady, sceneNumbers, scenePixels } from './browser/page-probe.ts';
import { serveFolder, type StaticServer } from './browser/static-server.ts';

const REPO = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'package-'));
const app = join(dir, 'app');
const installed = join(app, 'node_modules', 'animated-transformer');
let files: string[] = [];

beforeAll(() => {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const [packed] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  files = packed.files.map((f) => f.path);
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  execFileSync('tar', ['xzf', join(dir, packed.filename), '-C', dir]);
  execFileSync('mv', [join(dir, 'package'), installed]);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const name of Object.keys(manifest.dependencies)) {
    const scope = name.startsWith('@') ? name.split('/')[0] : null;
    if (scope) mkdirSync(join(app, 'node_modules', scope), { recursive: true });
    if (!existsSync(join(app, 'node_modules', name))) symlinkSync(join(REPO, 'node_modules', name), join(app, 'node_modules', name));
  }
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the packed package', () => {
  it('holds the compiled code, its types and the built-in model, and no tests, benchmarks or fixtures', () => {
    const element = ['transformer-scene.js', 'model/config.json', 'model/model.safetensors', 'model/animated-transformer.json'].map((f) => `lib/element/${f}`);
    for (const f of ['lib/index.js', 'lib/index.d.ts', 'lib/node.js', 'lib/node.d.ts', 'lib/cli/main.js', 'bin/animated-transformer.js', 'models/default/model.safetensors', ...element]) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /^lib\/element\/assets\/(model-worker|tokenizer)-.*\.js$/.test(f))).toHaveLength(2);
    expect(files.filter((f) => /^(tests|bench|scripts|src)\//.test(f) || f.includes('fixtures'))).toEqual([]);
    // The training history is the page's ("How it learned"), not the command line's.
    expect(files.filter((f) => f.startsWith('models/default/snapshots/'))).toEqual([]);
    expect(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).dependencies.tsx).toBeUndefined();
  });

  it('runs the command line with plain node, without tsx', () => {
    const bin = join(installed, 'bin', 'animated-transformer.js');
    const r = spawnSync(process.execPath, [bin, 'tokenize', 'The robots will bring'], { cwd: app, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/464\s+The/);
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false);
    const fig = spawnSync(process.execPath, [bin, 'render', '--scene', 'qkv', '--at', '3', '--size', '320x180', '--out', 'fig.svg'], { cwd: app, encoding: 'utf8' });
    expect(fig.status).toBe(0);
    expect(readFileSync(join(app, 'fig.svg'), 'utf8')).toContain('<text');
  });

  it('gives the library with types: a TypeScript file importing it type-checks and runs', () => {
    writeFileSync(
      join(app, 'use.ts'),
      `import { GPT, bestKernels, explain, loadBuiltInModel, type Explanation } from 'animated-transformer';
const loaded = await loadBuiltInModel();
const model = new GPT(loaded.config, loaded.weights, bestKernels());
const e: Explanation = explain(model, loaded.tokenizer, 'The robots', { modelName: 'built-in', layer: 0, head: 0, generateTokens: 2, generationWindow: 16 });
const n: number = e.tokens.length;
console.log(JSON.stringify({ tokens: n, traced: model.trace([464]).has('logits') }));
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', skipLibCheck: false, types: [], lib: ['ES2022', 'DOM'] }, files: ['use.ts'] }),
    );
    const tsc = spawnSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: app, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    const run = spawnSync(process.execPath, [join(app, 'out', 'use.js')], { cwd: app, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ tokens: 2, traced: true });
    expect(readdirSync(join(app, 'out'))).toEqual(['use.js']);
  });
});

/** The element's folder in the project that installed the package, as a page there names it. */
const ELEMENT = 'node_modules/animated-transformer/lib/element/';

/** A page of the project that installed the package: plain HTML, the element from `element` (by default node_modules). */
function writePage(name: string, body: string, element = ELEMENT): void {
  writeFileSync(
    join(app, name),
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${name}</title>
<link rel="icon" href="data:,">
<script type="module" src="${element}transformer-scene.js"></script>
</head>
<body style="max-width:640px;margin:20px auto">
${body}
</body>
</html>
`,
  );
}

/** What one element shows: its message and error, and the block, head and prompt of its explanation. */
function shown(page: Page, id: string) {
  return page.locator(`#${id}`).evaluate((el: TransformerSceneElement) => ({
    message: el.shadowRoot!.querySelector('.message')!.textContent,
    error: el.error?.message ?? null,
    built: el.sceneObject !== null,
    prompt: el.explanation?.prompt,
    block: el.explanation?.layer,
    head: el.explanation?.head,
  }));
}

describe('the element from the installed package, in a plain HTML page', () => {
  const PREFIX = '/course/';
  let server: StaticServer;
  /** Another origin serving the same folder with CORS headers, as a CDN would. */
  let cdn: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    writePage(
      'two-scenes.html',
      `<transformer-scene id="scores" scene="attention-scores" prompt="The robots will bring" autoplay loop></transformer-scene>
<transformer-scene id="qkv" scene="qkv" prompt="The robots will bring" block="1" head="2"></transformer-scene>`,
    );
    writePage(
      'bad-input.html',
      `<transformer-scene id="folder" scene="embedding-sum" model="gpt2-layout/"></transformer-scene>
<transformer-scene id="no-scene" scene="attention-sores"></transformer-scene>
<transformer-scene id="no-model" scene="qkv" model="no-such-model/"></transformer-scene>
<transformer-scene id="big-block" scene="qkv" block="9"></transformer-scene>
<transformer-scene id="word-head" scene="qkv" head="two"></transformer-scene>
<transformer-scene id="no-prompt" scene="qkv" prompt=""></transformer-scene>
<script>
  // Listening before the element's module runs (module scripts wait for the document).
  window.errorEvents = [];
  for (const el of document.querySelectorAll('transformer-scene')) el.addEventListener('error', (e) => errorEvents.push([el.id, e.message]));
</script>`,
    );
    // A folder as Hugging Face's transformers saves one: no animated-transformer.json, so GPT-2's tokenizer.
    mkdirSync(join(app, 'gpt2-layout'));
    for (const file of ['config.json', 'model.safetensors']) symlinkSync(join(installed, 'models', 'default', file), join(app, 'gpt2-layout', file));
    // The README's example as a teacher would use it: the element's folder copied into the site.
    const readme = readFileSync(join(installed, 'README.md'), 'utf8');
    const example = /### A scene in your own page \(the element\)[\s\S]*?```html\n([\s\S]*?)```/.exec(readme);
    if (!example) throw new Error("the README has no HTML example under 'A scene in your own page (the element)'");
    writeFileSync(join(app, 'readme-example.html'), example[1]);
    cpSync(join(installed, 'lib', 'element'), join(app, 'transformer'), { recursive: true });
    server = await serveFolder(app, PREFIX);
    cdn = await serveFolder(app, '/npm/', true);
    writePage('from-cdn.html', '<transformer-scene scene="heads" prompt="Once upon a time" autoplay loop></transformer-scene>', `${cdn.url}${ELEMENT}`);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await cdn?.close();
  });

  beforeEach(() => {
    server.missed.length = 0;
    cdn.missed.length = 0;
  });

  it('draws and plays, two elements share one worker, a new prompt or block updates the numbers, and nothing leaves the static server', async () => {
    const { page, errors, requests } = await watchedPage(browser);
    const workers: string[] = [];
    page.on('worker', (worker) => workers.push(worker.url()));
    await page.goto(`${server.url}two-scenes.html`);
    await pageReady(page);

    const scores = page.locator('#scores');
    const started = await scores.evaluate((el: TransformerSceneElement) => el.currentTime);
    await page.waitForFunction((t) => document.querySelector<TransformerSceneElement>('#scores')!.currentTime > t + 0.5, started, { timeout: 60_000 });
    expect(await scores.evaluate((el: TransformerSceneElement) => el.paused)).toBe(false);
    expect(await shown(page, 'qkv')).toMatchObject({ block: 1, head: 2, prompt: 'The robots will bring', error: null });

    const early = await scenePixels(page, 'attention-scores', 0.3);
    const late = await scenePixels(page, 'attention-scores', 0.7);
    expect(early.inked).toBeGreaterThan(0.005);
    expect(late.inked).toBeGreaterThan(0.005);
    expect(late.hash).not.toBe(early.hash);

    const before = await sceneNumbers(page);
    await scores.evaluate((el: TransformerSceneElement) => el.setAttribute('prompt', 'Hello world'));
    await page.waitForFunction(() => document.querySelector<TransformerSceneElement>('#scores')!.explanation?.prompt === 'Hello world', undefined, { timeout: 60_000 });
    const after = await sceneNumbers(page);
    expect(after[0].length).toBeGreaterThan(0);
    expect(after[0]).not.toEqual(before[0]);
    expect(after[1]).toEqual(before[1]); // the other element keeps its prompt

    await page.locator('#qkv').evaluate((el: TransformerSceneElement) => el.setAttribute('block', '0'));
    await page.waitForFunction(() => document.querySelector<TransformerSceneElement>('#qkv')!.explanation?.layer === 0, undefined, { timeout: 60_000 });
    expect((await sceneNumbers(page))[1]).not.toEqual(before[1]);

    expect(workers).toEqual([expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/course\/node_modules\/animated-transformer\/lib\/element\/assets\/model-worker-.*\.js$/)]);
    expect(errors).toEqual([]);
    expect(requests.filter((url) => !url.startsWith(server.url))).toEqual([]);
    expect(server.missed).toEqual([]);
    await page.context().close();
  });

  it('shows a clear message and fires error for a missing model, an unknown scene, a bad block or head and an empty prompt; the rest of the page works', async () => {
    const { page, errors } = await watchedPage(browser);
    await page.goto(`${server.url}bad-input.html`);
    await page.waitForFunction(() => (window as unknown as { errorEvents: unknown[] }).errorEvents.length >= 5, undefined, { timeout: 110_000 });
    await page.waitForFunction(() => document.querySelector<TransformerSceneElement>('#folder')!.sceneObject !== null, undefined, { timeout: 110_000 });
    const events = await page.evaluate(() => (window as unknown as { errorEvents: [string, string][] }).errorEvents);
    expect(events.map(([id]) => id).sort()).toEqual(['big-block', 'no-model', 'no-prompt', 'no-scene', 'word-head']);
    const expected: Record<string, RegExp> = {
      'no-scene': /^There is no scene named “attention-sores”\. Set scene to one of: .*attention-scores/,
      'no-model': /no-such-model\/(config\.json|model\.safetensors|animated-transformer\.json) answered 404/,
      'big-block': /^block="9" is too large: this model has 4 blocks, numbered 0 to 3\.$/,
      'word-head': /^head="two" is not a number: set head to a whole number, counting from 0\.$/,
      'no-prompt': /^The prompt is empty/,
    };
    for (const [id, message] of events) {
      expect(message).toMatch(expected[id]);
      expect(await shown(page, id)).toMatchObject({ message, error: message, built: false });
    }
    // A GPT-2-layout folder named by the model attribute loads and draws.
    expect(await shown(page, 'folder')).toMatchObject({ built: true, error: null, block: 0 });
    expect((await scenePixels(page, 'embedding-sum', 0.5)).inked).toBeGreaterThan(0.005);

    // Fixing an attribute brings the scene.
    await page.locator('#no-scene').evaluate((el: TransformerSceneElement) => el.setAttribute('scene', 'attention-scores'));
    await page.locator('#big-block').evaluate((el: TransformerSceneElement) => el.setAttribute('block', '3'));
    await page.waitForFunction(() => ['#no-scene', '#big-block'].every((id) => document.querySelector<TransformerSceneElement>(id)!.sceneObject !== null), undefined, { timeout: 60_000 });
    expect(await shown(page, 'big-block')).toMatchObject({ block: 3, error: null, message: '' });
    expect(errors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
    const missing = ['config.json', 'model.safetensors', 'animated-transformer.json'].map((f) => `${PREFIX}no-such-model/${f}`);
    expect(server.missed.sort()).toEqual([...missing, `${PREFIX}gpt2-layout/animated-transformer.json`].sort());
    await page.context().close();
  });

  it("the README's example works with a copy of the element's folder, and its prompt box updates both scenes", async () => {
    const { page, errors, requests } = await watchedPage(browser);
    await page.goto(`${server.url}readme-example.html`);
    await pageReady(page);
    const prompts = () => page.evaluate(() => [...document.querySelectorAll('transformer-scene')].map((el) => el.explanation?.prompt));
    expect(await prompts()).toEqual(['The robots will bring', 'The robots will bring']);
    const before = await sceneNumbers(page);
    await page.locator('#prompt').fill('Once upon a time');
    await page.locator('#prompt').press('Enter');
    await page.waitForFunction(() => [...document.querySelectorAll('transformer-scene')].every((el) => el.explanation?.prompt === 'Once upon a time'), undefined, { timeout: 60_000 });
    const after = await sceneNumbers(page);
    expect(after[0]).not.toEqual(before[0]);
    expect(after[1]).not.toEqual(before[1]);
    expect((await scenePixels(page, 'attention-scores', 0.5)).inked).toBeGreaterThan(0.005);
    // The example has no icon, so the browser asks for /favicon.ico (a 404, logged): nothing else fails.
    expect(errors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
    expect(server.missed.filter((path) => path !== '/favicon.ico')).toEqual([]);
    expect(requests.filter((url) => !url.startsWith(server.url) && url !== `${server.origin}/favicon.ico`)).toEqual([]);
    await page.context().close();
  });

  it('works from another origin (a CDN): the page starts the worker from its own origin, which imports the script', async () => {
    const { page, errors, requests } = await watchedPage(browser);
    const workers: string[] = [];
    page.on('worker', (worker) => workers.push(worker.url()));
    await page.goto(`${server.url}from-cdn.html`);
    await pageReady(page);
    expect((await scenePixels(page, 'heads', 0.5)).inked).toBeGreaterThan(0.005);
    expect(workers).toEqual([expect.stringMatching(/^blob:http:\/\/127\.0\.0\.1:/)]);
    expect(errors).toEqual([]);
    const elsewhere = requests.filter((url) => !url.startsWith(server.url) && !url.startsWith(cdn.url) && !url.startsWith(`blob:${server.origin}/`));
    expect(elsewhere).toEqual([]);
    expect(requests.filter((url) => url.startsWith(cdn.url))).toEqual(
      expect.arrayContaining([`${cdn.url}${ELEMENT}transformer-scene.js`, expect.stringMatching(/assets\/model-worker-.*\.js$/), `${cdn.url}${ELEMENT}model/model.safetensors`]),
    );
    expect([...server.missed, ...cdn.missed]).toEqual([]);
    await page.context().close();
  });
});
