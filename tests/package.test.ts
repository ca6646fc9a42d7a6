// The package as a user gets it: `npm pack` (which runs the prepack build), the tarball
// unpacked into an empty project, then the command line run there with plain node (no tsx),
// and a TypeScript file importing the library type-checked with the repository's compiler.
// The machine has no registry access, and `npm install --offline <tarball>` fails here because
// the npm cache does not hold the dependencies; so the tarball is unpacked into the project's
// node_modules by hand and its runtime dependencies linked from this repository's.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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
    for (const f of ['lib/index.js', 'lib/index.d.ts', 'lib/node.js', 'lib/node.d.ts', 'lib/cli/main.js', 'bin/animated-transformer.js', 'models/default/model.safetensors']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /^(tests|bench|scripts|src)\//.test(f) || f.includes('fixtures'))).toEqual([]);
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
