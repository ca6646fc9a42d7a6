// Where the built-in model's training history is: models/default/training-log.json and the
// snapshot folders beside it (models/default/snapshots/step-NNNNNN/), as the build ships them.
// Only their URLs are known here; nothing is fetched until the reader opens the chapter.

/// <reference types="vite/client" />

const LOG = import.meta.glob<string>('../../models/default/training-log.json', { query: '?url', import: 'default', eager: true });
const SNAPSHOT_FILES = import.meta.glob<string>('../../models/default/snapshots/*/*', { query: '?url', import: 'default', eager: true });

export interface HistoryFiles {
  logUrl: string;
  /** The URL of `file` in the snapshot folder `dir` (as the log names it), or null if not shipped. */
  file(dir: string, file: string): string | null;
}

/** The shipped history, or null when the built-in model has none (tests may point at another folder). */
export function historyFiles(): HistoryFiles | null {
  const override = (globalThis as { ANIMATED_TRANSFORMER_HISTORY?: unknown }).ANIMATED_TRANSFORMER_HISTORY;
  if (typeof override === 'string') {
    const base = new URL(override, location.href);
    return { logUrl: new URL('training-log.json', base).href, file: (dir, file) => new URL(`${dir}/${file}`, base).href };
  }
  const [logUrl] = Object.values(LOG);
  if (logUrl === undefined) return null;
  const byPath = new Map(Object.entries(SNAPSHOT_FILES).map(([path, url]) => [path.replace('../../models/default/', ''), url]));
  // Based on the page's address, as the built-in model's own files are (model-picker.ts).
  const absolute = (url: string | undefined) => (url === undefined ? null : new URL(url, location.href).href);
  return { logUrl: absolute(logUrl)!, file: (dir, file) => absolute(byPath.get(`${dir}/${file}`)) };
}
