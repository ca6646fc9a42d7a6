// The small toolbar under each scene of the article. Today: "Download video", shown only when a
// browser video exporter exists at src/web/download-video.ts (found at build time by Vite, loaded
// only when the reader presses the button, so the page stays small).

/// <reference types="vite/client" />

import type { Explanation, Theme } from '../scenes/contract.ts';
import type { TransformerSceneElement } from './player.ts';

/** What src/web/download-video.ts is expected to export. */
export interface VideoDownloader {
  /** Renders the named scene for this explanation to a video file and offers it as a download. */
  downloadSceneVideo(options: {
    sceneName: string;
    explanation: Explanation;
    theme: Theme;
    signal: AbortSignal;
    onProgress: (fraction: number) => void;
  }): Promise<void>;
}

// An empty record when the exporter does not exist yet; the import happens on the first click.
const exporters = import.meta.glob<VideoDownloader>('./download-video.ts');

export function addSceneTools(el: TransformerSceneElement): void {
  const load = Object.values(exporters)[0];
  if (!load) return;
  const bar = document.createElement('div');
  bar.className = 'scene-tools';
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = 'Download video';
  const note = document.createElement('span');
  note.className = 'note';
  bar.append(button, note);
  el.after(bar);
  let running: AbortController | null = null;
  button.addEventListener('click', async () => {
    if (running) {
      running.abort();
      return;
    }
    const explanation = el.explanation;
    if (!explanation) return;
    running = new AbortController();
    button.textContent = 'Cancel';
    note.textContent = 'Preparing…';
    try {
      const { downloadSceneVideo } = await load();
      await downloadSceneVideo({
        sceneName: el.sceneName,
        explanation,
        theme: el.theme,
        signal: running.signal,
        onProgress: (fraction) => (note.textContent = `${Math.round(fraction * 100)}%`),
      });
      note.textContent = '';
    } catch (error) {
      note.textContent = running.signal.aborted ? 'Cancelled.' : `The video could not be made: ${(error as Error).message}`;
    } finally {
      running = null;
      button.textContent = 'Download video';
    }
  });
}
