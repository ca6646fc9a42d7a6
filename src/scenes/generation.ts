// Scene 14, generating text: each chosen token is appended and the model runs again, one token
// at a time (explanation.generation). The window the model reads (explanation.generationWindow)
// slides once the sequence is longer: the oldest tokens drop out of view of the model.

import { label } from '../anim/label.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard, stagger } from '../anim/timeline.ts';
import { within } from '../anim/easing.ts';
import { chipHeight, chipWidth, tokenChip } from '../anim/tokenChip.ts';
import { percentDecimals } from '../render/frame.ts';
import { textWidth } from '../render/text.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { declared, samplingRule } from './shared.ts';
import { at, type Source } from '../model/registry.ts';
import { say, shortened, type Part } from '../render/said.ts';

/** The generated text as drawn under the steps: the chosen tokens' pieces, cut after `max` characters. */
function generatedText(ex: Explanation, max: number): Part[] {
  const d = declared(ex);
  const parts: Part[] = [];
  let used = 0;
  const total = ex.generation.reduce((n, step) => n + step.chosen.text.length, 0);
  for (let i = 0; i < ex.generation.length; i++) {
    const piece = d.piece(at('generation.chosen', i));
    if (total > max && used + piece.text.length > max - 1) {
      const room = max - 1 - used;
      parts.push(room > 0 ? shortened(piece, room + 1) : '…');
      break;
    }
    parts.push(piece);
    used += piece.text.length;
  }
  return parts;
}
import { TEXT } from '../anim/metrics.ts';

function build(ex: Explanation) {
  const steps = ex.generation;
  const W = ex.generationWindow;
  const d = declared(ex);
  const prompt = ex.tokens.map((t) => t.id);
  const T = prompt.length;
  /** Where the id of token k of the sequence comes from: the prompt, or the step that chose it. */
  const sourceOf = (k: number): Source => (k < T ? at('tokens', k) : at('generation.chosen', k - T));
  const windowSize = d.value(at('generation.window', 0), { group: true });
  // The sequence before step i: the prompt and the tokens chosen so far.
  const before = steps.map((_, i) => [...prompt, ...steps.slice(0, i).map((s) => s.chosen.id)]);
  const slides = steps.some((s) => s.dropped > 0);
  const text = generatedText(ex, 60);
  const isSmallWindow = W < ex.config.nPositions;

  const story = new Storyboard();
  story.beat('append', 'To write more than one token, the chosen token is appended to the input and the whole model runs again: one token per run.');
  const first = story.play(Math.min(3, 1 + 0.5 * Math.min(steps.length, 2)));
  story.wait(0.8);
  story.beat(
    'window',
    slides
      ? say`The model can read at most ${windowSize} tokens at once${isSmallWindow ? say` (a window kept small here so you can see it; this model could read ${d.dim('nPositions')})` : ''}. Once the sequence is longer, the oldest tokens fall out of the window.`
      : say`The model can read at most ${windowSize} tokens at once; this sequence stays shorter, so nothing falls out of the window.`,
  );
  const rest = story.play(Math.max(1, 0.7 * Math.max(0, steps.length - 2)), (p) => p);
  story.wait(1.0);
  story.beat('rule', say`Every token here was picked by the same rule, ${samplingRule(ex)}, with seed ${d.value(at('sampling.seed', 0))}, so the same prompt gives the same text every time.`);
  story.wait(3.0);

  const layout = (a: Area) => {
    const s = a.size * (a.portrait ? 0.85 : 0.8);
    const lineH = chipHeight(s) + s * 0.7;
    const maxLines = Math.max(1, Math.floor((a.h - s * 3) / lineH));
    const probW = textWidth('100.00%', s * TEXT.body, true) + s;
    const avail = a.w - probW - s * 3;
    const lines = steps.map((_, i) => {
      // Fit the newest tokens (the chosen one last) right to left; older ones become "…".
      const seq = [...before[i], steps[i].chosen.id];
      const firstInWindow = seq.length - 1 - steps[i].context.length; // index of the context's first token
      const xs: number[] = [];
      let x = avail;
      let from = seq.length;
      for (let k = seq.length - 1; k >= 0; k--) {
        const w = chipWidth(ex.piece(seq[k]).text, s);
        if (x - w < s * 2) break;
        x -= w + s * 0.35;
        xs[k] = x;
        from = k;
      }
      return { seq, xs, from, firstInWindow };
    });
    const shown = Math.min(steps.length, maxLines);
    const top = a.y + s * 2 + Math.max(0, (a.h - s * 2 - shown * lineH) / 2);
    return { s, lineH, lines, top, x0: a.x + s, probX: a.x + a.w - probW, maxLines };
  };

  return makeScene({
    name: 'generation',
    title: 'Generating text',
    story,
    layout,
    frame(f, t, L, a) {
      const { s, lineH, lines } = L;
      const n = steps.length;
      if (n === 0) {
        f.text(a.x + a.w / 2, a.y + a.h / 2, 'No tokens were generated.', { size: s, align: 'center', paint: 'muted' });
        return;
      }
      // Step i's progress: the first two steps come slowly, the rest faster.
      const prog = (i: number) => (i < 2 ? stagger(first.at(t), i, Math.min(n, 2), 1) : stagger(rest.at(t), i - 2, Math.max(1, n - 2), 1));
      let last = -1;
      for (let i = 0; i < n; i++) if (prog(i) > 0) last = i;
      // Lines scroll up so the newest step stays in view.
      const firstLine = Math.max(0, last - L.maxLines + 1);
      label(f, a.x + a.w / 2, a.y + s * 0.6, say`window: ${windowSize} tokens, marked by the bracket; the chosen token is highlighted`, { size: s * TEXT.label, paint: 'muted', align: 'center' });
      for (let i = firstLine; i <= last; i++) {
        const p = prog(i);
        const y = L.top + (i - firstLine) * lineH;
        const line = lines[i];
        const step = steps[i];
        f.fade(within(p, 0, 0.5), () => {
          if (line.from > 0) f.text(L.x0 + line.xs[line.from] - s * 1.4, y + chipHeight(s) / 2, '…', { size: s, paint: 'muted' });
          for (let k = line.from; k < line.seq.length; k++) {
            const x = L.x0 + line.xs[k];
            const piece = d.piece(sourceOf(k));
            const isChosen = k === line.seq.length - 1;
            const outside = k < line.firstInWindow;
            if (isChosen && p < 0.5) continue;
            f.fade(outside ? 0.3 : 1, () => tokenChip(f, x, y, piece, { size: s, highlight: isChosen }));
          }
          // The window bracket over the context the model read for this step.
          const startK = Math.max(line.from, line.firstInWindow);
          const bx0 = L.x0 + line.xs[startK] - 2;
          const bx1 = L.x0 + line.xs[line.seq.length - 2] + chipWidth(ex.piece(line.seq[line.seq.length - 2]).text, s) + 2;
          f.path([bx0, y + s * 0.5, bx0, y - s * 0.15, bx1, y - s * 0.15, bx1, y + s * 0.5], { stroke: 'dim', lineWidth: 1.5 });
          if (p >= 0.5) {
            f.number(L.probX, y + chipHeight(s) / 2, step.probability, { tensor: 'generation.probability', index: i }, { size: s * TEXT.body, percent: true, decimals: percentDecimals(step.probability) });
          }
        });
      }
      f.fade(stagger(rest.at(t), 0, 1, 0) > 0.99 ? 1 : 0, () =>
        label(f, a.x + a.w / 2, a.y + a.h - s * 0.4, say`generated: “${text}”`, { size: s * TEXT.body, align: 'center', italic: true }),
      );
    },
  });
}

export const generationScene: SceneDefinition = { name: 'generation', title: 'Generating text', build, usesGeneration: true };
