// Scene 2, token embeddings: each id picks its row of the token embedding table W_te
// (embed.token), and the rows stack into the T × C input.

import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { buildLookup } from './lookup.ts';
import { count, dims } from './shared.ts';

export const tokenEmbeddingsScene: SceneDefinition = {
  name: 'token-embeddings',
  title: 'Token embeddings',
  build: (ex: Explanation) =>
    buildLookup(ex, {
      name: 'token-embeddings',
      title: 'Token embeddings',
      tensor: 'embed.token',
      table: 'W_{te}',
      rowsBrace: (e) => `V = ${count(dims(e).V)}`,
      tableRows: (e) => dims(e).V,
      rowWord: 'token in the vocabulary',
      rowOf: (e, t) => e.tokens[t].id,
      captions: (e) => {
        const { C, V } = dims(e);
        return [
          `The model keeps a table of ${count(V)} rows, one per token, each a list of ${count(C)} numbers learned in training: the token's embedding.`,
          'Each token id picks its own row of the table. Nothing is computed yet; the rows are just looked up.',
          `Stacked, the picked rows make a T × C matrix: T = ${dims(e).T} tokens, C = ${count(C)} numbers for each. Only the first columns and the last are drawn.` +
            (e.config.positions === 'table' ? '' : ' This model adds no position rows: this matrix is X, the input of block 0.'),
        ];
      },
    }),
};
