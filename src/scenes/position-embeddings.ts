// Scene 3, position embeddings: position t picks row t of the position table W_pe
// (embed.position), giving a second T × C matrix.

import type { Explanation } from '../model/explanation.ts';
import { say } from '../render/said.ts';
import type { SceneDefinition } from './contract.ts';
import { buildLookup } from './lookup.ts';
import { declared, dims } from './shared.ts';

export const positionEmbeddingsScene: SceneDefinition = {
  name: 'position-embeddings',
  title: 'Position embeddings',
  build: (ex: Explanation) =>
    buildLookup(ex, {
      name: 'position-embeddings',
      title: 'Position embeddings',
      tensor: 'embed.position',
      table: 'W_{pe}',
      rowsBrace: (e) => say`${declared(e).dim('nPositions')} positions`,
      tableRows: (e) => dims(e).P,
      rowWord: 'position in the context',
      rowOf: (e, t) => ({ row: t, label: declared(e).index(t, 'T') }),
      captions: (e) => {
        const d = declared(e);
        const T = dims(e).T;
        return [
          say`Word order matters, so the model also keeps a table with one row for each of the ${d.dim('nPositions')} positions it can read.`,
          say`Positions ${d.index(0, 'T')} to ${d.index(T - 1, 'T')} pick the first ${d.dim('T')} rows: the same rows for any prompt of this length, whatever its words.`,
          say`Another T × C matrix: ${d.dim('T')} rows of ${d.dim('C')} numbers, one per position.`,
        ];
      },
    }),
  appliesTo: (config) => config.positions === 'table',
};
