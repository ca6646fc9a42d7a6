// The page's state as it lives in the URL's query, so a link reproduces what the reader saw:
// prompt, the second prompt set beside it, model, the scene and time they paused on, attention
// layer/head, the sampling rule, and the position the logit lens reads.
// Parsing never throws: a bad or missing value falls back to its default.

import type { SamplingSettings } from '../model/explanation.ts';
import { DEFAULT_COMPARE_PROMPT, DEFAULT_PROMPT, DEFAULT_SAMPLING } from '../model/explain.ts';

/** Which model the page runs: the one shipped with the page, a download from the hub, or files the reader picked. */
export type ModelChoice = { kind: 'default' } | { kind: 'hub'; repo: string } | { kind: 'files' };

export interface PageState {
  prompt: string;
  /** The second prompt the comparing scenes set beside the first ('' for none: a link says `compare=`). */
  compare: string;
  model: ModelChoice;
  /** The scene the reader last paused or seeked in, and its time in seconds ('' for none). */
  scene: string;
  time: number;
  layer: number;
  head: number;
  sampling: SamplingSettings;
  /** Context window of the generation scene; 0 means the model's full context. */
  window: number;
  /** The position the logit lens reads, from 0; null for the prompt's last token. */
  lensPosition: number | null;
}


export const DEFAULT_STATE: PageState = {
  prompt: DEFAULT_PROMPT,
  compare: DEFAULT_COMPARE_PROMPT,
  model: { kind: 'default' },
  scene: '',
  time: 0,
  layer: 0,
  head: 0,
  sampling: DEFAULT_SAMPLING,
  window: 0,
  lensPosition: null,
};

/** A Hugging Face repository id such as "openai-community/gpt2" (or a bare "gpt2"). */
export function isRepoId(text: string): boolean {
  return /^[A-Za-z0-9][\w.-]{0,95}(\/[A-Za-z0-9][\w.-]{0,95})?$/.test(text) && !text.includes('..');
}

function modelToText(model: ModelChoice): string {
  return model.kind === 'hub' ? `hub:${model.repo}` : model.kind;
}

function modelFromText(text: string | null): ModelChoice {
  if (text === 'files') return { kind: 'files' };
  if (text?.startsWith('hub:') && isRepoId(text.slice(4))) return { kind: 'hub', repo: text.slice(4) };
  return { kind: 'default' };
}

function numberFrom(text: string | null, fallback: number, ok: (n: number) => boolean): number {
  if (text === null || text.trim() === '') return fallback;
  const n = Number(text);
  return Number.isFinite(n) && ok(n) ? n : fallback;
}

const isWhole = (n: number) => Number.isInteger(n) && n >= 0;

export function parseState(search: string): PageState {
  const q = new URLSearchParams(search);
  const d = DEFAULT_STATE;
  return {
    prompt: q.get('prompt') ?? d.prompt,
    compare: q.get('compare') ?? d.compare,
    model: modelFromText(q.get('model')),
    scene: (q.get('scene') ?? '').slice(0, 64),
    time: numberFrom(q.get('t'), d.time, (n) => n >= 0),
    layer: numberFrom(q.get('layer'), d.layer, isWhole),
    head: numberFrom(q.get('head'), d.head, isWhole),
    sampling: {
      temperature: numberFrom(q.get('temperature'), d.sampling.temperature, (n) => n >= 0 && n <= 10),
      topK: numberFrom(q.get('topk'), d.sampling.topK, isWhole),
      topP: numberFrom(q.get('topp'), d.sampling.topP, (n) => n > 0 && n <= 1),
      seed: numberFrom(q.get('seed'), d.sampling.seed, isWhole),
    },
    window: numberFrom(q.get('window'), d.window, isWhole),
    lensPosition: lensPositionFrom(q.get('position')),
  };
}

/** A whole number, or null (the last token) when missing or not one. */
function lensPositionFrom(text: string | null): number | null {
  const n = numberFrom(text, NaN, isWhole);
  return Number.isNaN(n) ? null : n;
}

/** The query string for a state, leaving out values equal to the defaults so links stay short. */
export function stateToSearch(state: PageState): string {
  const q = new URLSearchParams();
  const d = DEFAULT_STATE;
  if (state.prompt !== d.prompt) q.set('prompt', state.prompt);
  if (state.compare !== d.compare) q.set('compare', state.compare);
  if (state.model.kind !== 'default') q.set('model', modelToText(state.model));
  if (state.scene) {
    q.set('scene', state.scene);
    q.set('t', state.time.toFixed(2));
  }
  if (state.layer !== d.layer) q.set('layer', String(state.layer));
  if (state.head !== d.head) q.set('head', String(state.head));
  if (state.sampling.temperature !== d.sampling.temperature) q.set('temperature', String(state.sampling.temperature));
  if (state.sampling.topK !== d.sampling.topK) q.set('topk', String(state.sampling.topK));
  if (state.sampling.topP !== d.sampling.topP) q.set('topp', String(state.sampling.topP));
  if (state.sampling.seed !== d.sampling.seed) q.set('seed', String(state.sampling.seed));
  if (state.window !== d.window) q.set('window', String(state.window));
  if (state.lensPosition !== null) q.set('position', String(state.lensPosition));
  const text = q.toString();
  return text ? `?${text}` : '';
}
