// The article's prose follows the loaded model: an element with data-when="positions=rope" shows
// only for a model with RoPE, "norm=layernorm" only for one with layer norm, "family!=gpt2" for
// any but GPT-2, and so on, for any field of ModelConfig (src/model/architecture.ts); several
// conditions, space-separated, must all hold. "grouped=true" holds when query heads share
// key/value heads. Paragraphs for GPT-2 and for the Llama family sit side by side in
// index.html, and the one true of the loaded model shows.

import type { ModelConfig } from '../model/architecture.ts';

/** The value a condition compares with, as text: a config field, or "grouped". */
function field(config: ModelConfig, key: string): string | undefined {
  if (key === 'grouped') return String(config.nKvHead < config.nHead);
  const value = (config as unknown as Record<string, unknown>)[key];
  return value === undefined ? undefined : String(value);
}

/** Whether every condition of a data-when attribute holds for this model. */
function holdsFor(config: ModelConfig, when: string): boolean {
  return when
    .split(/\s+/)
    .filter(Boolean)
    .every((condition) => {
      const negated = condition.includes('!=');
      const [key, wanted] = condition.split(negated ? '!=' : '=');
      return (field(config, key) === wanted) !== negated;
    });
}

/** Shows the prose that is true of this model and hides the rest. */
export function showProseFor(config: ModelConfig, root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-when]')) el.hidden = !holdsFor(config, el.dataset.when ?? '');
}
