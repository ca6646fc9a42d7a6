// The small toolbar under each scene of the article: "Download video" with the format, size and
// frame rate the reader picks, progress and cancel, and "Download picture": the frame shown, as
// SVG at the chosen size. The encoder (download-video.ts, WebCodecs through mediabunny) and the
// SVG writer are imported only when the reader presses a button, so the page stays small.

import type { TransformerSceneElement } from './player.ts';

const SIZES: Record<string, [number, number]> = { '1280 × 720': [1280, 720], '1920 × 1080': [1920, 1080], '720 × 1280 (portrait)': [720, 1280] };

/** A select with its visible words (may be empty) and the name a screen reader gives it. */
function select(label: string, name: string, options: string[]): { wrapper: HTMLLabelElement; input: HTMLSelectElement } {
  const wrapper = document.createElement('label');
  if (label) wrapper.textContent = `${label} `;
  const input = document.createElement('select');
  input.setAttribute('aria-label', name);
  for (const text of options) {
    const option = document.createElement('option');
    option.value = text;
    option.textContent = text;
    input.append(option);
  }
  wrapper.append(input);
  return { wrapper, input };
}

export function addSceneTools(el: TransformerSceneElement): void {
  const bar = document.createElement('div');
  bar.className = 'scene-tools';
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'download-video';
  button.textContent = 'Download video';
  const picture = document.createElement('button');
  picture.type = 'button';
  picture.className = 'download-picture';
  picture.textContent = 'Download picture';
  picture.title = 'The frame shown now, as an SVG picture (numbers and captions stay text)';
  const format = select('as', 'Video format', ['MP4', 'WebM']);
  const size = select('', 'Video and picture size', Object.keys(SIZES));
  const fps = select('', 'Video frame rate', ['30 fps', '60 fps', '24 fps']);
  const note = document.createElement('span');
  note.className = 'note';
  note.setAttribute('role', 'status');
  bar.append(button, picture, format.wrapper, size.wrapper, fps.wrapper, note);
  el.after(bar);

  picture.addEventListener('click', async () => {
    const scene = el.sceneObject;
    if (!scene) {
      note.textContent = 'The scene is not ready yet.';
      return;
    }
    try {
      const [{ scenePicture }, { saveFile }] = await Promise.all([import('./download-picture.ts'), import('./save-file.ts')]);
      const [width, height] = SIZES[size.input.value];
      const file = scenePicture(scene, el.currentTime, width, height, el.theme);
      saveFile(file);
      note.textContent = `Saved ${file.fileName} (${Math.round(file.blob.size / 1e3)} kB).`;
    } catch (error) {
      note.textContent = `The picture could not be made: ${(error as Error).message}`;
    }
  });

  let running: AbortController | null = null;
  button.addEventListener('click', async () => {
    if (running) {
      running.abort();
      return;
    }
    const scene = el.sceneObject;
    if (!scene) {
      note.textContent = 'The scene is not ready yet.';
      return;
    }
    const abort = new AbortController();
    running = abort;
    button.textContent = 'Cancel';
    note.textContent = 'Preparing…';
    try {
      const { encodeSceneVideo, saveSceneVideo } = await import('./download-video.ts');
      const [width, height] = SIZES[size.input.value];
      const video = await encodeSceneVideo({
        scene,
        format: format.input.value === 'WebM' ? 'webm' : 'mp4',
        width,
        height,
        fps: parseInt(fps.input.value, 10),
        theme: el.theme,
        signal: abort.signal,
        onProgress: (done, total) => (note.textContent = `${Math.round((100 * done) / total)}%`),
      });
      saveSceneVideo(video);
      note.textContent = `Saved ${video.fileName} (${(video.blob.size / 1e6).toFixed(1)} MB).`;
    } catch (error) {
      note.textContent = abort.signal.aborted ? 'Cancelled.' : `The video could not be made: ${(error as Error).message}`;
    } finally {
      running = null;
      button.textContent = 'Download video';
    }
  });
}
