// The model panel: the built-in model, files or a folder the reader picks, or a download from the
// Hugging Face hub that starts only when the reader presses the button (with progress and cancel).
// It turns the reader's choice into a ModelSource; loading itself is the worker's job.

import { configUrl, metaUrl, weightsUrl } from 'virtual:built-in-model';
import { CONFIG_FILE, WEIGHTS_FILE } from '../model/checkpoint.ts';
import { TOKENIZER_FILE } from '../model/tokenizer-file.ts';
import { cachedText, hubBase, hubCached, hubFileUrl } from './model-download.ts';
import { familyOfText, hubTokenizerCached } from './model-files.ts';
import { isRepoId, type ModelChoice } from './url-state.ts';
import type { ModelSource } from './worker-protocol.ts';
import { byId } from './dom.ts';

/**
 * The built-in model's files, bundled by Vite (vite.config.ts, builtInModel), its weights in the
 * shared-row layout (tests may point the page at another folder).
 */
export function defaultModelSource(): Extract<ModelSource, { kind: 'url' }> {
  const override = (globalThis as { ANIMATED_TRANSFORMER_DEFAULT_MODEL?: unknown }).ANIMATED_TRANSFORMER_DEFAULT_MODEL;
  if (typeof override === 'string') return folderSource(override, 'built-in model');
  return { kind: 'url', name: 'built-in model', configUrl, weightsUrl, metaUrl };
}

/** A model folder at a URL (relative to the page), in GPT-2's layout with animated-transformer.json. */
export function folderSource(folder: string, name: string): Extract<ModelSource, { kind: 'url' }> {
  const base = new URL(folder.endsWith('/') ? folder : `${folder}/`, location.href);
  const file = (name: string) => new URL(name, base).href;
  return { kind: 'url', name, configUrl: file(CONFIG_FILE), weightsUrl: file(WEIGHTS_FILE), metaUrl: file(TOKENIZER_FILE) };
}

export interface PickerEvents {
  /** The reader chose a model; `choice` is what the URL records. */
  choose(source: ModelSource, choice: ModelChoice): void;
  /** The reader pressed Cancel during a download. */
  cancel(): void;
}

export class ModelPicker {
  private readonly panel = byId<HTMLDetailsElement>('model-panel');
  private readonly nameLabel = byId('model-name');
  private readonly repoInput = byId<HTMLInputElement>('hub-repo');
  private readonly downloadButton = byId<HTMLButtonElement>('hub-download');
  private readonly cancelButton = byId<HTMLButtonElement>('hub-cancel');
  private readonly progress = byId<HTMLProgressElement>('model-progress');
  private readonly progressText = byId('model-progress-text');
  private readonly memoryNote = byId('model-memory');

  constructor(private readonly events: PickerEvents) {
    byId('hub-base').textContent = hubBase();
    byId('use-default').addEventListener('click', () => events.choose(defaultModelSource(), { kind: 'default' }));
    for (const id of ['model-files', 'model-folder']) {
      const input = byId<HTMLInputElement>(id);
      input.addEventListener('change', () => {
        const files = [...(input.files ?? [])];
        input.value = '';
        if (files.length > 0) events.choose({ kind: 'files', files }, { kind: 'files' });
      });
    }
    this.downloadButton.addEventListener('click', () => {
      const repo = this.repoInput.value.trim();
      if (!isRepoId(repo)) {
        this.setProgressText(`“${repo}” is not a Hugging Face repository name; it should look like openai-community/gpt2.`);
        return;
      }
      events.choose({ kind: 'hub', repo, hubBase: hubBase() }, { kind: 'hub', repo });
    });
    this.cancelButton.addEventListener('click', () => events.cancel());
  }

  /** True when a hub repository's model is whole in the browser's cache, a Llama-family one's tokenizer too (checked without the network). */
  async hubCached(repo: string): Promise<boolean> {
    const base = hubBase();
    if (!(await hubCached(base, repo))) return false;
    const config = await cachedText(hubFileUrl(base, repo, CONFIG_FILE));
    return config === null || !isLlama(config) || hubTokenizerCached(base, repo);
  }

  /** Opens the panel with a repository filled in, for a link that names one that is not cached. */
  offerHub(repo: string): void {
    this.repoInput.value = repo;
    this.panel.open = true;
  }

  /** A cached copy of `repo` failed to load and was removed: the Download button offers it again. */
  offerDownloadAgain(repo: string): void {
    this.offerHub(repo);
    this.downloadButton.textContent = 'Download again';
  }

  showLoading(what: string, downloading: boolean): void {
    this.memoryNote.textContent = '';
    this.progress.hidden = false;
    this.progress.removeAttribute('value');
    this.cancelButton.hidden = !downloading;
    if (downloading) this.downloadButton.textContent = 'Download';
    this.downloadButton.disabled = downloading;
    this.setProgressText(`Loading ${what}…`);
  }

  showProgress(file: string, loadedBytes: number, totalBytes: number | null): void {
    const mb = (n: number) => (n / 1e6).toFixed(1);
    if (totalBytes) {
      this.progress.max = totalBytes;
      this.progress.value = loadedBytes;
      this.setProgressText(`${file}: ${mb(loadedBytes)} of ${mb(totalBytes)} MB`);
    } else {
      this.progress.removeAttribute('value');
      this.setProgressText(`${file}: ${mb(loadedBytes)} MB`);
    }
  }

  /** What the model being loaded needs in memory, and whether this browser can hold it. */
  showPlan(text: string): void {
    this.memoryNote.textContent = text;
  }

  showDone(text: string): void {
    this.progress.hidden = true;
    this.cancelButton.hidden = true;
    this.downloadButton.disabled = false;
    this.setProgressText(text);
  }

  showModelName(text: string): void {
    this.nameLabel.textContent = text;
  }

  private setProgressText(text: string): void {
    this.progressText.textContent = text;
  }
}

/** Whether a cached config.json names a Llama-family model (a broken one is left to the loader to report). */
function isLlama(configText: string): boolean {
  try {
    return familyOfText(configText, 'config.json') === 'llama';
  } catch {
    return false;
  }
}
