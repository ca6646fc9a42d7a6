// Scene 2, token embeddings: each id picks its row of the token embedding table W_te
// (embed.token), and the rows stack into the T × C input.

import type { Explanation } from '../model/explanation.ts';
import { at } from '../model/registry.ts';
import { say } from '../render/said.ts';
import type { SceneDefinition } from './contract.ts';
import { buildLookup } from './lookup.ts';
import { declared, dims } from './shared.ts';

export const tokenEmbeddingsScene: SceneDefinition = {
  name: 'token-embeddings',
  title: 'Token embeddings',
  build: (ex: Explanation) =>
    buildLookup(ex, {
      name: 'token-embeddings',
      title: 'Token embeddings',
      tensor: 'embed.token',
      table: 'W_{te}',
      rowsBrace: (e) => say`V = ${declared(e).dim('V')}`,
      tableRows: (e) => dims(e).V,
      rowWord: 'token in the vocabulary',
      rowOf: (e, t) => ({ row: e.tokens[t].id, label: declared(e).value(at('tokens', t)) }),
      captions: (e) => {
        const d = declared(e);
        return [
          say`The model keeps a table of ${d.dim('V')} rows, one per token, each a list of ${d.dim('C')} numbers learned in training: the token's embedding.`,
          'Each token id picks its own row of the table. Nothing is computed yet; the rows are just looked up.',
          [
            ...say`Stacked, the picked rows make a T × C matrix: T = ${d.dim('T')} tokens, C = ${d.dim('C')} numbers for each. Only the first columns and the last are drawn.`,
            ...(e.config.positions === 'table' ? [] : say` This model adds no position rows: this matrix is X, the input of block ${d.index(0, 'nLayer')}.`),
          ],
        ];
      },
    }),
};
