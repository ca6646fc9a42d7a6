// A trivial scene (a bar sweeping across with the time written on it) shown by the real
// <transformer-scene> element, so the player's controls can be tested without a model.

import { defineTransformerScene } from '../../../src/web/player.ts';
import type { Explanation } from '../../../src/model/explanation.ts';
import type { Scene, SceneDefinition } from '../../../src/scenes/contract.ts';

const sweep: SceneDefinition = {
  name: 'test-sweep',
  title: 'A sweeping bar',
  build(_explanation: Explanation): Scene {
    return {
      name: 'test-sweep',
      title: 'A sweeping bar',
      durationSeconds: 10,
      draw(ctx, t, w, h) {
        ctx.fillStyle = '#fff';
        ctx.fillRect(0, 0, w, h);
        ctx.fillStyle = '#3b6fd8';
        ctx.fillRect((t / 10) * (w - 20), h / 3, 20, h / 3);
        ctx.fillStyle = '#000';
        ctx.font = '16px sans-serif';
        ctx.fillText(`t = ${t.toFixed(2)}`, 10, 24);
      },
      numbersAt: () => [],
      spotsAt: () => [],
      textAt: () => [],
    };
  },
};

defineTransformerScene([sweep]);
const player = document.querySelector('transformer-scene')!;
// The trivial scene ignores the explanation, so an empty object stands in for one.
player.explanation = {} as Explanation;
player.play();
