// The digit rule: every digit a scene draws (its numbers, title, subtitle, captions, labels,
// braces, token pieces) lies in a declared part of its text whose claim holds: a registry value,
// a dimension read back from the trace, an index or count within its dimension, a registered
// constant, the piece of the token it names, the prompt, the model's name. Checked for every
// scene a model has at every beat and between, at the four sizes the layout tests use, for the
// built-in model, GPT-2 small's shape (random weights), a prompt longer than the context and the
// two Llama-family fixtures (grouped-query attention, tied; Qwen2's biases, a separate head).
// Each dimension a text may name is read back from the trace's shapes (drawn-text.ts) and must
// equal the registry's (dimensionOf).

import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { scenesFor, SCENES } from '../src/scenes/index.ts';
import type { Scene } from '../src/scenes/contract.ts';
import type { Explanation } from '../src/model/explanation.ts';
import type { ModelConfig } from '../src/model/architecture.ts';
import { explain } from '../src/model/explain.ts';
import { loadModelDir } from '../src/model/checkpoint-node.ts';
import { GPT } from '../src/model/gpt.ts';
import { at, dimensionOf, type DimName } from '../src/model/registry.ts';
import { Frame } from '../src/render/frame.ts';
import { indexPart, say } from '../src/render/said.ts';
import { label } from '../src/anim/label.ts';
import { gpt2Tokenizer } from '../src/tokenizer/index.ts';
import { declared } from '../src/scenes/shared.ts';
import { gpt2SmallExplanation, sceneExplanation } from './helpers/scene-explanation.ts';
import { checkText, dimensionFromTrace } from './helpers/drawn-text.ts';
import { checkShown } from './helpers/shown-numbers.ts';
import { LAYOUT_SIZES } from './helpers/compare.ts';
import { llamaExplanation } from './helpers/llama-explanation.ts';

/** Every beat's start, middle and end, and 30 times between. */
function times(scene: Scene): number[] {
  const d = scene.durationSeconds;
  const out = Array.from({ length: 30 }, (_, i) => (d * i) / 29);
  for (const b of scene.beats ?? []) out.push(b.startSeconds, (b.startSeconds + b.endSeconds) / 2, Math.max(0, b.endSeconds - 0.01));
  return out;
}

/** The digit rule's and the number checker's violations for one scene, everywhere it is checked, and the token ids whose pieces it draws. */
function inspect(ex: Explanation, scene: Scene): { errors: string[]; pieces: Set<number> } {
  const errors = new Set<string>();
  const pieces = new Set<number>();
  for (const [w, h] of LAYOUT_SIZES) {
    for (const t of times(scene)) {
      const texts = scene.textAt(t, w, h);
      for (const e of [...checkText(ex, texts), ...checkShown(ex, scene.numbersAt(t, w, h))]) errors.add(`${w}×${h} t=${t.toFixed(2)}: ${e}`);
      for (const part of texts.flatMap((text) => text.said)) if (part.claim.kind === 'piece') pieces.add(part.claim.id);
    }
  }
  return { errors: [...errors], pieces };
}

const LONG_PROMPT =
  'The robots will bring the parcels to every house in the town before the sun sets, and then they will rest in the old barn by the river until the morning comes again.';

/** Each case: its name, how the model places tokens (which decides its scenes), its explanation. */
const CASES: [string, ModelConfig['positions'], () => Promise<Explanation>][] = [
  [
    'the built-in model',
    'table',
    async () => {
      const { config, weights } = await loadModelDir(fileURLToPath(new URL('../models/default', import.meta.url)));
      return explain(new GPT(config, weights), gpt2Tokenizer(), 'In 1999, the 3 robots will bring', { modelName: 'built-in model', layer: 3, head: 2, compare: 'In 2001, the 4 robots will destroy' });
    },
  ],
  ["GPT-2 small's shape", 'table', async () => gpt2SmallExplanation('The 12 robots will bring 2024', 'The 12 robots will bring 1999 and 2024')],
  ['a prompt longer than the context', 'table', async () => sceneExplanation(LONG_PROMPT, { layer: 2, head: 5 })],
  // Digits in the prompt, a query head that shares its key/value head, a later block.
  ['llama-smol-gqa', 'rope', async () => llamaExplanation('llama-smol-gqa', 'In 1999, the 3 keepers climbed 12 stairs', { layer: 2, head: 7 })],
  ['llama-qwen2-untied', 'rope', async () => llamaExplanation('llama-qwen2-untied', 'The 2 keepers climbed the stairs', { layer: 1, head: 3 })],
];

/** The scenes of a model that places tokens this way (what scenesFor reads to choose them), known before any explanation is made. */
function scenesPlacing(positions: ModelConfig['positions']) {
  return SCENES.filter((s) => s.appliesTo?.({ positions } as ModelConfig) ?? true);
}

/** Every dimension a text may name, and those only a model of the Llama family has. */
const DIMS: DimName[] = ['T', 'C', 'H', 'nHead', 'nLayer', 'V', 'nPositions', 'mlpWidth', 'mlpRatio', 'sqrtH', 'nKvHead', 'kvGroup', 'qWidth', 'kvWidth', 'ropePairs'];

describe.each(CASES)('every digit drawn is declared: %s', (_name, positions, make) => {
  let ex: Explanation;
  beforeAll(async () => {
    ex = await make();
  }, 120_000);

  it('is the case it says', () => {
    if (_name === "GPT-2 small's shape") expect([dimensionFromTrace(ex, 'nLayer'), dimensionFromTrace(ex, 'C'), dimensionFromTrace(ex, 'nPositions')]).toEqual([12, 768, 1024]);
    if (_name.startsWith('a prompt longer')) expect(ex.droppedPromptTokens).toBeGreaterThan(0);
    expect(ex.config.positions).toBe(positions);
    expect(scenesFor(ex.config)).toEqual(scenesPlacing(positions));
    if (_name === 'llama-smol-gqa') expect([dimensionFromTrace(ex, 'nHead'), dimensionFromTrace(ex, 'nKvHead'), dimensionFromTrace(ex, 'mlpWidth')]).toEqual([8, 2, 176]);
  });

  it("every dimension the scenes may name is the one the trace's shapes show", () => {
    const mine = DIMS.filter((name) => name !== 'ropePairs' || ex.config.positions === 'rope');
    expect(Object.fromEntries(mine.map((name) => [name, dimensionOf(ex, name)]))).toEqual(Object.fromEntries(mine.map((name) => [name, dimensionFromTrace(ex, name)])));
  });

  for (const def of scenesPlacing(positions)) {
    it(`${def.name}: every digit in its title, captions, labels and numbers is declared and true; it labels only the tokens it declares`, () => {
      expect(scenesFor(ex.config)).toContain(def);
      const scene = def.build(ex);
      const { errors, pieces } = inspect(ex, scene);
      expect(errors.slice(0, 8)).toEqual([]);
      // The page's worker sends the pieces of these ids with the explanation, so none is guessed.
      const declaredIds = new Set([...ex.tokens.map((t) => t.id), ...ex.generation.flatMap((s) => [s.chosen.id, ...s.context]), ...(def.labelledIds?.(ex) ?? [])]);
      expect([...pieces].filter((id) => !declaredIds.has(id))).toEqual([]);
      // What is recorded is what is drawn: the title, and each beat's caption (its words, however wrapped).
      const beat = scene.beats![scene.beats!.length - 1];
      const drawn = scene.textAt((beat.startSeconds + beat.endSeconds) / 2, 1280, 720).map((d) => d.text);
      expect(drawn).toContain(scene.title);
      const words = drawn.join(' ');
      for (const word of beat.caption.split(/\s+/).filter((w) => !/[_^{}]/.test(w)).slice(0, 6)) expect(words).toContain(word);
    });
  }
});

describe('the digit rule catches', () => {
  const ex = sceneExplanation();
  const d = declared(ex);
  const drawn = (draw: (f: Frame) => void) => {
    const f = new Frame(640, 360);
    draw(f);
    return checkText(ex, f.texts());
  };

  it('nothing in declared text, in plain text, in labels with sub- and superscripts, or in numbers', () => {
    expect(
      drawn((f) => {
        f.text(0, 0, say`C = ${d.dim('C')}, T = ${d.dim('T')}, √H = ${d.dim('sqrtH')}`, { size: 10 });
        label(f, 0, 0, say`K_${d.index(ex.head, 'nHead')}^T and “${d.piece(at('tokens', 0))}”`, { size: 10 });
        f.text(0, 0, say`sums to ${d.constant('softmax.total')}; ${d.count(3, 'T')} left out; ${d.value(at('parameterCount', 0), { group: true })}`, { size: 10 });
        f.count(0, 0, ex.tokens[1].id, at('tokens', 1), { size: 10 });
        f.text(0, 0, 'no digits here', { size: 10 });
      }),
    ).toEqual([]);
  });

  it('a digit no part declares, in plain text, a label or a number drawn as text', () => {
    expect(drawn((f) => f.text(0, 0, `T = ${ex.tokens.length}`, { size: 10 }))).toHaveLength(1);
    expect(drawn((f) => label(f, 0, 0, 'Q_{2}', { size: 10 }))).toHaveLength(1);
    expect(drawn((f) => label(f, 0, 0, say`block ${d.index(1, 'nLayer')}2`, { size: 10 }))).toHaveLength(1);
  });

  it('a part that is not what it claims', () => {
    const T = ex.tokens.length;
    const wrong = [
      say`${{ text: String(T + 1), claim: { kind: 'dim', dim: 'T' } }}`,
      say`${indexPart(ex.config.nLayer, 'nLayer')}`,
      say`${{ text: '9', claim: { kind: 'count', value: 9999, atMost: 'T' } }}`,
      say`${{ text: '2', claim: { kind: 'constant', name: 'softmax.total' } }}`,
      say`${{ text: ex.piece(7).text, claim: { kind: 'piece', id: 8 } }}`,
      say`${{ text: ex.tokens[0].text, claim: { kind: 'piece', id: ex.tokens[0].id, source: at('tokens', 1) } }}`,
      say`${{ text: '“not the prompt”', claim: { kind: 'prompt' } }}`,
      say`${{ text: 'gpt9', claim: { kind: 'modelName' } }}`,
      say`${{ text: '1,000', claim: { kind: 'value', source: at('parameterCount', 0), value: 1000 } }}`,
    ];
    for (const phrase of wrong) expect(drawn((f) => f.text(0, 0, phrase, { size: 10 })), JSON.stringify(phrase)).toHaveLength(1);
  });
});
