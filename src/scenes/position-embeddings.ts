// Scene 3, position embeddings: position t picks row t of the position table W_pe
// (embed.position), giving a second T × C matrix.

import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { buildLookup } from './lookup.ts';
import { count, dims } from './shared.ts';

export const positionEmbeddingsScene: SceneDefinition = {
  name: 'position-embeddings',
  title: 'Position embeddings',
  build: (ex: Explanation) =>
    buildLookup(ex, {
      name: 'position-embeddings',
      title: 'Position embeddings',
      tensor: 'embed.position',
      table: 'W_{pe}',
      rowsBrace: (e) => `${count(dims(e).P)} positions`,
      tableRows: (e) => dims(e).P,
      rowWord: 'position in the context',
      rowOf: (_e, t) => t,
      captions: (e) => {
        const { C, P, T } = dims(e);
        return [
          `Word order matters, so the model also keeps a table with one row for each of the ${count(P)} positions it can read.`,
          `Positions 0 to ${T - 1} pick the first ${T} rows: the same rows for any prompt of this length, whatever its words.`,
          `Another T × C matrix: ${T} rows of ${count(C)} numbers, one per position.`,
        ];
      },
    }),
  appliesTo: (config) => config.positions === 'table',
};
