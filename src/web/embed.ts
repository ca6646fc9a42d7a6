// Scenes in any page: the one import a page needs to show <transformer-scene> elements without
// the article. It registers the element with every scene, loads a model in the worker, runs it
// on a prompt, and hands the result to every <transformer-scene> in the document.
//
//   <transformer-scene scene="attention-scores" loop></transformer-scene>
//   <script type="module">
//     import { showScenes } from './src/web/embed.ts';
//     const scenes = await showScenes({ prompt: 'The robots will bring' });
//     await scenes.setPrompt('Once upon a time');   // every scene updates in place
//   </script>

import { SCENES } from '../scenes/index.ts';
import type { Explanation, SamplingSettings } from '../model/explanation.ts';
import { defineTransformerScene } from './player.ts';
import { ModelClient } from './model-client.ts';
import { defaultModelSource } from './model-picker.ts';
import { DEFAULT_STATE } from './url-state.ts';
import type { ModelSource } from './worker-protocol.ts';

export { TransformerSceneElement, defineTransformerScene } from './player.ts';
export { ModelClient } from './model-client.ts';
export { SCENES } from '../scenes/index.ts';

export interface ShowOptions {
  prompt: string;
  /** Default: the model built into the page (models/default/). */
  source?: ModelSource;
  layer?: number;
  head?: number;
  sampling?: SamplingSettings;
  /** Start playing (unless the reader prefers reduced motion). Default true. */
  autoplay?: boolean;
}

export interface ShownScenes {
  explanation: Explanation;
  /** Reruns the model on a new prompt and updates every scene in place. */
  setPrompt(prompt: string): Promise<Explanation>;
}

export async function showScenes(options: ShowOptions): Promise<ShownScenes> {
  defineTransformerScene(SCENES);
  const client = new ModelClient();
  await client.load(options.source ?? defaultModelSource(), { progress: () => {}, plan: () => {} }).done;
  const run = async (prompt: string): Promise<Explanation> => {
    const explanation = await client.explain({
      prompt,
      layer: options.layer ?? 0,
      head: options.head ?? 0,
      sampling: options.sampling ?? DEFAULT_STATE.sampling,
      window: 0,
      generateTokens: 8,
    });
    for (const el of document.querySelectorAll('transformer-scene')) el.explanation = explanation;
    return explanation;
  };
  const shown: ShownScenes = { explanation: await run(options.prompt), setPrompt: async (p) => (shown.explanation = await run(p)) };
  for (const el of document.querySelectorAll('transformer-scene')) {
    if (options.autoplay !== false && !el.prefersReducedMotion) el.play();
  }
  return shown;
}
