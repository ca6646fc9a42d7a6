// Every scene in article order. Another scene is one more import and one more line here.

import type { SceneDefinition } from './contract.ts';
import type { ModelConfig } from '../model/architecture.ts';
import { functionScene } from './function.ts';
import { tokenizationScene } from './tokenization.ts';
import { tokenEmbeddingsScene } from './token-embeddings.ts';
import { positionEmbeddingsScene } from './position-embeddings.ts';
import { embeddingSumScene } from './embedding-sum.ts';
import { layerNormScene } from './layer-norm.ts';
import { qkvScene } from './qkv.ts';
import { headsScene } from './heads.ts';
import { ropeScene } from './rope.ts';
import { attentionScoresScene } from './attention-scores.ts';
import { maskSoftmaxScene } from './mask-softmax.ts';
import { applyAttentionScene } from './apply-attention.ts';
import { joinHeadsScene } from './join-heads.ts';
import { allHeadsScene } from './all-heads.ts';
import { residualScene } from './residual.ts';
import { feedForwardScene } from './feed-forward.ts';
import { goingDeeperScene } from './going-deeper.ts';
import { predictionScene } from './prediction.ts';
import { logitLensScene } from './logit-lens.ts';
import { compareAttentionScene } from './compare-attention.ts';
import { comparePredictionScene } from './compare-prediction.ts';
import { compareLensScene } from './compare-lens.ts';
import { generationScene } from './generation.ts';

export const SCENES: SceneDefinition[] = [
  functionScene,
  tokenizationScene,
  tokenEmbeddingsScene,
  positionEmbeddingsScene,
  embeddingSumScene,
  layerNormScene,
  qkvScene,
  headsScene,
  ropeScene,
  attentionScoresScene,
  maskSoftmaxScene,
  applyAttentionScene,
  joinHeadsScene,
  allHeadsScene,
  residualScene,
  feedForwardScene,
  goingDeeperScene,
  predictionScene,
  logitLensScene,
  compareAttentionScene,
  comparePredictionScene,
  compareLensScene,
  generationScene,
];

/** The scenes that show this model's steps, in article order. */
export function scenesFor(config: ModelConfig): SceneDefinition[] {
  return SCENES.filter((s) => s.appliesTo?.(config) ?? true);
}

/** Looks a scene up by its kebab-case name. */
export function sceneByName(name: string): SceneDefinition | undefined {
  return SCENES.find((s) => s.name === name);
}
