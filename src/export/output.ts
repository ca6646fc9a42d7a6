// Never a half-written output: everything is written under a hidden temporary name in the
// destination folder and renamed into place only when complete. On failure, on cancel, and
// even on an unexpected exit, the temporary file or folder is removed.

import { rmSync } from 'node:fs';
import { mkdtemp, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ExportError } from './errors.ts';

/** Temporary paths still on disk; removed synchronously if the process exits before they are. */
const live = new Set<string>();
process.on('exit', () => {
  for (const path of live) rmSync(path, { recursive: true, force: true });
});

export interface PendingOutput {
  /** Where to write: a file, or a folder for PNG frames. */
  readonly tempPath: string;
  /** Moves the finished temporary into place. */
  commit(): Promise<void>;
  /** Removes the temporary (after a failure or cancel). */
  discard(): Promise<void>;
  /** A scratch file beside the temporary (a GIF's palette), removed with it in every case. */
  scratchPath(suffix: string): string;
}

function explain(error: NodeJS.ErrnoException, path: string): ExportError {
  const why =
    error.code === 'EACCES' || error.code === 'EPERM' ? 'permission denied'
    : error.code === 'EROFS' ? 'the file system is read-only'
    : error.code === 'ENOSPC' ? 'the disk is full'
    : error.code === 'ENOENT' || error.code === 'ENOTDIR' ? 'files cannot be created in that folder'
    : (error.code ?? error.message);
  return new ExportError(`cannot write "${path}": ${why}; choose another --out`);
}

/** Fails early (before any model work) when the folder `out` would go into is missing or not a folder. */
export async function checkOutputFolder(out: string): Promise<void> {
  await checkFolder(dirname(resolve(out)), out);
}

async function checkFolder(dir: string, out: string): Promise<void> {
  const info = await stat(dir).catch(() => null);
  if (!info) throw new ExportError(`cannot write "${out}": the folder "${dir}" does not exist; create it or choose another --out`);
  if (!info.isDirectory()) throw new ExportError(`cannot write "${out}": "${dir}" is not a folder; choose another --out`);
}

/**
 * Reserves a temporary beside `out` and checks that it can be written, before any drawing.
 * `kind` is 'file' for a video or GIF, 'folder' for PNG frames.
 */
export async function prepareOutput(out: string, kind: 'file' | 'folder'): Promise<PendingOutput> {
  const target = resolve(out);
  const dir = dirname(target);
  const name = basename(target);
  await checkFolder(dir, out);
  const existing = await stat(target).catch(() => null);
  let tempPath: string;
  if (kind === 'file') {
    if (existing?.isDirectory()) throw new ExportError(`cannot write "${out}": a folder of that name exists; choose another --out`);
    tempPath = join(dir, `.${name}.part-${process.pid}-${Date.now().toString(36)}`);
    try {
      await (await open(tempPath, 'wx')).close();
    } catch (error) {
      throw explain(error as NodeJS.ErrnoException, out);
    }
  } else {
    if (existing && !existing.isDirectory()) throw new ExportError(`cannot write frames into "${out}": it is a file; choose a folder name`);
    if (existing && (await readdir(target)).length > 0) {
      throw new ExportError(`the folder "${out}" already exists and is not empty; choose a new folder or empty it`);
    }
    try {
      tempPath = await mkdtemp(join(dir, `.${name}.part-`));
    } catch (error) {
      throw explain(error as NodeJS.ErrnoException, out);
    }
  }
  live.add(tempPath);
  const scratch: string[] = [];
  const removeScratch = async () => {
    for (const path of scratch) {
      await rm(path, { force: true });
      live.delete(path);
    }
  };
  return {
    tempPath,
    scratchPath(suffix: string) {
      const path = `${tempPath}${suffix}`;
      scratch.push(path);
      live.add(path);
      return path;
    },
    async commit() {
      await removeScratch();
      try {
        // rename replaces a file, or an empty folder, in one step.
        await rename(tempPath, target);
      } catch (error) {
        await rm(tempPath, { recursive: true, force: true });
        throw explain(error as NodeJS.ErrnoException, out);
      } finally {
        live.delete(tempPath);
      }
    },
    async discard() {
      await removeScratch();
      await rm(tempPath, { recursive: true, force: true });
      live.delete(tempPath);
    },
  };
}

