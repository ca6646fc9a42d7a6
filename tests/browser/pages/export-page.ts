// Hooks for tests/browser/export.test.ts: show frame t of a real scene in the real player, read
// its pixels, and encode a scene with the page's "Download video" encoder.

import { defineTransformerScene } from '../../../src/web/player.ts';
import { encodeSceneVideo, type VideoFormat } from '../../../src/web/download-video.ts';
import { SCENES } from '../../../src/scenes/index.ts';
import { sceneExplanation } from '../../helpers/scene-explanation.ts';
import { testScene } from '../../export-test-scene.ts';

defineTransformerScene(SCENES);
const player = document.querySelector('transformer-scene')!;

function base64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** Shows scene `name` paused at time t in the player; returns its canvas pixels (RGBA, base64) and size. */
function playerFrame(name: string, t: number): { width: number; height: number; rgba: string } {
  player.setAttribute('scene', name);
  player.explanation = sceneExplanation();
  player.pause();
  player.currentTime = t;
  const canvas = player.shadowRoot!.querySelector('canvas')!;
  const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
  return { width: canvas.width, height: canvas.height, rgba: base64(new Uint8Array(data.buffer)) };
}

/** Encodes the export test scene; resolves with the file (base64) or the error's name and message. */
async function encodeTestVideo(format: VideoFormat, width: number, height: number, fps: number, seconds: number, abortAtFrame = 0) {
  const controller = new AbortController();
  const progress: number[] = [];
  try {
    const video = await encodeSceneVideo({
      scene: testScene(seconds),
      format,
      width,
      height,
      fps,
      theme: 'light',
      signal: controller.signal,
      onProgress: (done, total) => {
        progress.push(done / total);
        if (done === abortAtFrame) controller.abort();
      },
    });
    return { ok: true, file: base64(new Uint8Array(await video.blob.arrayBuffer())), fileName: video.fileName, type: video.blob.type, progress };
  } catch (error) {
    return { ok: false, error: `${(error as Error).name}: ${(error as Error).message}`, progress };
  }
}

Object.assign(globalThis, { playerFrame, encodeTestVideo, exportPageReady: true });
