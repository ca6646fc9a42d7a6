// Saves PNGs of every scene at a few times (each beat's end) to /tmp/scene-shots/ (or the
// folder given), drawn with @napi-rs/canvas in Node, for a person to look over.
// Usage: npx tsx scripts/scene-shots.ts [outDir] [sceneName|all] [width] [height] [theme]
// (PROMPT=... to use another prompt; AT=0.4 for frames 40% into each beat instead of at its end)
// Uses a seeded random-weight model and GPT-2's tokenizer, so it needs no model files.

import { mkdirSync, writeFileSync } from 'node:fs';
import { createCanvas } from '@napi-rs/canvas';
import { SCENES } from '../src/scenes/index.ts';
import type { Ctx2D } from '../src/render/canvas.ts';
import type { Theme } from '../src/render/theme.ts';
import { sceneExplanation, wideExplanation } from '../tests/helpers/scene-explanation.ts';
import { loadModelDir } from '../src/model/checkpoint-node.ts';
import { explain } from '../src/model/explain.ts';
import { GPT } from '../src/model/gpt.ts';
import type { Explanation } from '../src/model/explanation.ts';

async function realExplanation(dir: string, prompt: string): Promise<Explanation> {
  const loaded = await loadModelDir(dir);
  return explain(new GPT(loaded.config, loaded.weights), loaded.tokenizer, prompt, { modelName: dir.split('/').filter(Boolean).pop() ?? dir, layer: 1, head: 1 });
}

const [outDir = '/tmp/scene-shots', only, wArg, hArg, themeArg] = process.argv.slice(2);
const width = Number(wArg ?? 1280);
const height = Number(hArg ?? 720);
const theme = (themeArg ?? 'light') as Theme;
mkdirSync(outDir, { recursive: true });
// MODEL_DIR=folder uses a real model folder (Hugging Face GPT-2 layout) instead of random weights;
// WIDE=1 uses GPT-2 small's widths (C = 768, 12 heads, 50,257 tokens) in two random blocks.
const ex = process.env.MODEL_DIR
  ? await realExplanation(process.env.MODEL_DIR, process.env.PROMPT ?? 'The robots will bring')
  : process.env.WIDE
  ? wideExplanation(process.env.PROMPT ?? 'The robots will bring')
  : process.env.PROMPT
    ? sceneExplanation(process.env.PROMPT, { layer: 2, head: 5 })
    : sceneExplanation();
for (const def of SCENES) {
  if (only && only !== 'all' && def.name !== only) continue;
  const scene = def.build(ex);
  // AT=0.4 takes each beat 40% of the way in (mid-animation); the default is each beat's end.
  const at = Number(process.env.AT ?? 1);
  const times = (scene.beats ?? []).map((b) => Math.max(b.startSeconds, b.startSeconds + at * (b.endSeconds - b.startSeconds) - 0.05));
  times.forEach((t, i) => {
    const canvas = createCanvas(width, height);
    scene.draw(canvas.getContext('2d') as unknown as Ctx2D, t, width, height, theme);
    const file = `${outDir}/${def.name}-${width}x${height}-${theme}-${i}.png`;
    writeFileSync(file, canvas.toBuffer('image/png'));
    console.log(file);
  });
}
