// Every scene in article order. Another scene is one more import and one more line here.

import type { SceneDefinition } from './contract.ts';
import { functionScene } from './function.ts';
import { tokenizationScene } from './tokenization.ts';
import { tokenEmbeddingsScene } from './token-embeddings.ts';
import { positionEmbeddingsScene } from './position-embeddings.ts';
import { embeddingSumScene } from './embedding-sum.ts';
import { qkvScene } from './qkv.ts';

export const SCENES: SceneDefinition[] = [
  functionScene,
  tokenizationScene,
  tokenEmbeddingsScene,
  positionEmbeddingsScene,
  embeddingSumScene,
  qkvScene,
];

/** Looks a scene up by its kebab-case name. */
export function sceneByName(name: string): SceneDefinition | undefined {
  return SCENES.find((s) => s.name === name);
}
