// What the scenes that set two prompts side by side share (compare-*.ts): the second prompt's
// explanation (Explanation.compare), its tokens' pieces declared by their ids' sources
// (`compare.tokens`), the two prompts' names on screen (A and B, each in its own colour), and a
// window onto any named value, the second prompt's and the differences included.

import type { MatrixSource } from '../anim/matrix.ts';
import type { Explanation } from '../model/explanation.ts';
import { at, namedValue, type ValueName } from '../model/registry.ts';
import type { Frame } from '../render/frame.ts';
import type { Said } from '../render/said.ts';
import { textWidth } from '../render/text.ts';
import type { Paint } from '../render/theme.ts';
import { declared, promptLines } from './shared.ts';

/** The colour each prompt is named in, wherever both are shown. */
export const PROMPT_PAINT = { first: 'dim', second: 'accent' } as const satisfies Record<string, Paint>;

/** The second prompt's explanation; a clear error for an explanation of one prompt. */
export function secondOf(ex: Explanation): Explanation {
  if (!ex.compare) throw new Error('this scene sets two prompts side by side, and this explanation has only one: give a second prompt');
  return ex.compare;
}

/** The second prompt's tokens' pieces, in order, each declared with its id's source. */
export function secondPieces(ex: Explanation): Said[] {
  const d = declared(ex);
  return secondOf(ex).tokens.map((_, i) => d.piece(at('compare.tokens', i)));
}

/** The second prompt's token ids, which a comparing scene labels (none without a second prompt). */
export function secondTokenIds(ex: Explanation): number[] {
  return ex.compare?.tokens.map((t) => t.id) ?? [];
}

/** Plane k of a named 3-D value n × R × K (one head's weights, of either prompt or their difference). */
export function namedPlane(ex: Explanation, name: ValueName, k: number): MatrixSource {
  const value = namedValue(ex, name);
  if (!value || !(value.data instanceof Float32Array)) throw new Error(`the explanation has no array named ${name}`);
  const [, rows, cols] = value.shape;
  return { tensor: name, data: value.data, rows, cols, index: (r, c) => (k * rows + r) * cols + c };
}

/** The two prompts' names for a legend: "A" and "B" with each prompt in quotes, cut at the front to fit `width`. */
export function promptLegend(ex: Explanation, size: number, width: number) {
  const tagW = textWidth('B  ', size) * 1.1;
  const line = (second: boolean) => promptLines(ex, size, Math.max(size * 4, width - tagW), 1, second)[0];
  return { first: line(false), second: line(true), tagW, size };
}

/** Draws the legend in two lines from (x, y), the middle of the first line: "A “…”", then "B “…”". */
export function drawLegend(f: Frame, x: number, y: number, legend: ReturnType<typeof promptLegend>, lineH: number): void {
  const rows = [
    { tag: 'A', text: legend.first, paint: PROMPT_PAINT.first },
    { tag: 'B', text: legend.second, paint: PROMPT_PAINT.second },
  ];
  rows.forEach((row, i) => {
    f.text(x, y + i * lineH, row.tag, { size: legend.size, bold: true, paint: row.paint });
    f.text(x + legend.tagW, y + i * lineH, [row.text], { size: legend.size });
  });
}

/** The legend's width as drawn (its longer line). */
export function legendWidth(legend: ReturnType<typeof promptLegend>): number {
  return legend.tagW + Math.max(textWidth(legend.first.text, legend.size), textWidth(legend.second.text, legend.size));
}
