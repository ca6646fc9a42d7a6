// Saves a model trained in the page as a model folder the command line reads (config.json,
// model.safetensors, animated-transformer.json, as `train` writes them): into a folder the
// reader picks where the browser has the File System Access directory picker (Chromium), else
// as one .zip download holding the folder.

import { zipSync } from 'fflate';
import { CONFIG_FILE, WEIGHTS_FILE } from '../model/checkpoint.ts';
import { TOKENIZER_FILE } from '../model/tokenizer-file.ts';
import { saveFile } from './save-file.ts';
import type { ModelFolderFiles } from './train-protocol.ts';

/** The folder's files in the order they are written: config.json last, so a folder cut short is never taken for a model. */
function folderEntries(files: ModelFolderFiles): [string, Uint8Array][] {
  const text = new TextEncoder();
  return [
    [WEIGHTS_FILE, files.weights],
    [TOKENIZER_FILE, text.encode(files.tokenizerJson)],
    [CONFIG_FILE, text.encode(files.configJson)],
  ];
}

/** The picker of the File System Access API, where the browser has it. */
type DirectoryPicker = (options: { id?: string; mode?: 'read' | 'readwrite' }) => Promise<FileSystemDirectoryHandle>;

function directoryPicker(): DirectoryPicker | null {
  const picker = (globalThis as { showDirectoryPicker?: DirectoryPicker }).showDirectoryPicker;
  return typeof picker === 'function' ? picker : null;
}

/** A .zip holding `folder`/ with the three files, stored (safetensors hardly compresses). */
function zipModelFolder(files: ModelFolderFiles, folder: string): Uint8Array {
  return zipSync(Object.fromEntries(folderEntries(files).map(([name, bytes]) => [`${folder}/${name}`, bytes])), { level: 0 });
}

async function has(dir: FileSystemDirectoryHandle, name: string): Promise<boolean> {
  try {
    await dir.getFileHandle(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Saves the files; resolves with a sentence saying where, or null when the reader closed the
 * picker. Throws an Error with a message for the reader when the folder cannot take them.
 */
export async function saveModelFolder(files: ModelFolderFiles, folder: string): Promise<string | null> {
  const picker = directoryPicker();
  if (!picker) {
    saveFile({ blob: new Blob([zipModelFolder(files, folder) as Uint8Array<ArrayBuffer>], { type: 'application/zip' }), fileName: `${folder}.zip` });
    return `Downloaded ${folder}.zip. Unzip it: the folder ${folder} inside is the model folder.`;
  }
  let dir: FileSystemDirectoryHandle;
  try {
    dir = await picker({ id: 'trained-model', mode: 'readwrite' });
  } catch (error) {
    if ((error as Error).name === 'AbortError') return null;
    throw error;
  }
  const entries = folderEntries(files);
  const taken = [];
  for (const [name] of entries) if (await has(dir, name)) taken.push(name);
  if (taken.length > 0) {
    throw new Error(`The folder ${dir.name} already holds ${taken.join(', ')}; nothing was written. Pick an empty folder (the picker can make a new one).`);
  }
  for (const [name, bytes] of entries) {
    // A writable stream writes to a temporary file and puts it in place only on close.
    const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
    await writable.write(bytes as Uint8Array<ArrayBuffer>);
    await writable.close();
  }
  return `Saved ${entries.map(([name]) => name).reverse().join(', ')} in the folder ${dir.name}.`;
}
