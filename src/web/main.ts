// The article page's script: reads the state from the URL, loads the model in a worker, runs it
// on the reader's prompt, and hands the Explanation to every <transformer-scene> in the article.
// Every string from the reader or a model file is rendered with textContent, never as HTML.

import { client } from './page-client.ts'; // first: the worker starts before the other modules evaluate
import { SCENES } from '../scenes/index.ts';
import type { ModelConfig } from '../model/architecture.ts';
import { showProseFor } from './model-prose.ts';
import type { Explanation } from '../model/explanation.ts';
import { defineTransformerScene, TransformerSceneElement } from './player.ts';
import { Superseded, WorkerError } from './model-client.ts';
import { hubBase } from './model-download.ts';
import { defaultModelSource, ModelPicker } from './model-picker.ts';
import { addSceneTools } from './scene-tools.ts';
import { ComputeControl } from './compute-control.ts';
import { TrainPanel } from './train-panel.ts';
import { HistoryChapter } from './history.ts';
import { DEFAULT_GENERATED_TOKENS } from '../model/explain.ts';
import { parseState, stateToSearch, type ModelChoice, type PageState } from './url-state.ts';
import type { LoadedModel, ModelSource } from './worker-protocol.ts';
import { formatCount, type SpotChoice } from '../render/frame.ts';
import { byId } from './dom.ts';

/** The small context window offered to watch generation slide. */
const SMALL_WINDOW = 8;

const state: PageState = parseState(location.search);
const promptInput = byId<HTMLInputElement>('prompt');
const compareInput = byId<HTMLInputElement>('compare-prompt');
const statusLine = byId<HTMLOutputElement>('status');
const messages = byId('messages');
const layerSelect = byId<HTMLSelectElement>('layer');
const headSelect = byId<HTMLSelectElement>('head');
const lensSelect = byId<HTMLSelectElement>('lens-position');
const sampling = {
  temperature: byId<HTMLInputElement>('temperature'),
  topK: byId<HTMLInputElement>('topk'),
  topP: byId<HTMLInputElement>('topp'),
  seed: byId<HTMLInputElement>('seed'),
};
const smallWindow = byId<HTMLInputElement>('small-window');

let explanation: Explanation | null = null;
/** The deep-linked scene and time, applied once the first explanation has arrived. */
let pendingSeek: { scene: string; time: number } | null = state.scene ? { scene: state.scene, time: state.time } : null;
let cancelLoad: (() => void) | null = null;

// ---- scenes: one element per scene definition, in article order ----

defineTransformerScene(SCENES, { formulas: client.formula });

/** Puts the article's scene elements in line with SCENES: unknown names go, missing scenes are added in order. */
function reconcileScenes(): TransformerSceneElement[] {
  const known = new Set(SCENES.map((s) => s.name));
  for (const el of document.querySelectorAll('transformer-scene')) {
    if (!known.has(el.sceneName)) el.closest('figure')?.remove();
  }
  let previous: Element | null = null;
  for (const definition of SCENES) {
    const existing = [...document.querySelectorAll('transformer-scene')].find((el) => el.sceneName === definition.name);
    if (existing) {
      previous = existing.closest('figure') ?? existing;
      continue;
    }
    const figure = document.createElement('figure');
    const heading = document.createElement('h3');
    heading.textContent = definition.title;
    const el = document.createElement('transformer-scene');
    el.setAttribute('scene', definition.name);
    el.setAttribute('loop', '');
    figure.append(heading, el);
    if (previous) previous.after(figure);
    else document.querySelector('main section')?.append(figure);
    previous = figure;
  }
  return [...document.querySelectorAll('transformer-scene')];
}

const sceneElements = reconcileScenes();

for (const el of sceneElements) {
  // A pause or a seek while paused is a moment worth linking to. A scene rebuilt for new numbers
  // also says 'timeupdate' (at the same time), and scenes are built paused before the page starts
  // them: neither is the reader's choice, so neither goes into the URL.
  let rememberedTime = el.currentTime;
  const remember = (event: Event) => {
    if (!el.paused || !el.sceneObject || document.body.dataset.started !== 'yes') return;
    if (event.type === 'timeupdate' && el.currentTime === rememberedTime) return;
    rememberedTime = el.currentTime;
    state.scene = el.sceneName;
    state.time = el.currentTime;
    writeUrl();
  };
  el.addEventListener('pause', remember);
  el.addEventListener('timeupdate', remember);
  // A reader who chooses something in a scene (a head's map, a token) asks the page to show it.
  el.addEventListener('choose', (event) => choose((event as CustomEvent<SpotChoice>).detail));
  addSceneTools(el);
}

// ---- URL ----

let urlTimer = 0;
function writeUrl(): void {
  clearTimeout(urlTimer);
  urlTimer = window.setTimeout(() => {
    const search = stateToSearch(state);
    if (search !== location.search) history.replaceState(null, '', `${location.pathname}${search}${location.hash}`);
  }, 150);
}

// ---- messages (always text) ----

function setStatus(text: string): void {
  statusLine.textContent = text;
}

type Message = { text: string; error?: boolean };
/** A note about the model (a link's model that could not be restored, a failed load): stays until the reader picks a model. */
let modelNotice: Message | null = null;
/** Notes about the current prompt (dropped tokens, byte pieces, errors). */
let promptNotes: Message[] = [];

function showMessages(): void {
  const lines = modelNotice ? [modelNotice, ...promptNotes] : promptNotes;
  messages.replaceChildren(
    ...lines.map((line) => {
      const p = document.createElement('p');
      p.textContent = line.text;
      if (line.error) p.className = 'error';
      return p;
    }),
  );
}


/** Fills the article's data-dim spans from the model; T, the prompt's length, shows "…" until it is known. */
function fillDimensions(config: LoadedModel['config'], T: number | null): void {
  const dims: Record<string, number | null> = {
    C: config.nEmbd,
    H: config.headDim,
    pairs: config.headDim / 2,
    nHead: config.nHead,
    nKvHead: config.nKvHead,
    group: config.nHead / config.nKvHead,
    nLayer: config.nLayer,
    V: config.vocabSize,
    nPositions: config.nPositions,
    C4: config.mlpWidth,
    T,
  };
  for (const el of document.querySelectorAll<HTMLElement>('[data-dim]')) {
    const value = dims[el.dataset.dim ?? ''];
    if (value !== undefined) el.textContent = value === null ? '…' : formatCount(value);
  }
}

/**
 * The article's numbers for a model just loaded: its dimensions, and the paragraph on tokens
 * that share one embedding row, with its counts, shown only when most of the model's tokens do.
 */
function fillModelProse(model: LoadedModel): void {
  fillDimensions(model.config, null);
  const V = model.config.vocabSize;
  const shared = model.sharedRowTokens * 2 > V;
  const counts: Record<string, number> = { tokens: model.sharedRowTokens, others: V - model.sharedRowTokens };
  for (const el of document.querySelectorAll<HTMLElement>('[data-shared]')) el.textContent = shared ? formatCount(counts[el.dataset.shared ?? ''] ?? 0) : '…';
  byId('shared-rows').hidden = !shared;
}

function fillPickers(config: LoadedModel['config']): void {
  const options = (select: HTMLSelectElement, n: number, chosen: number) => {
    select.replaceChildren(
      ...Array.from({ length: n }, (_, i) => {
        const option = document.createElement('option');
        option.value = String(i);
        option.textContent = String(i);
        return option;
      }),
    );
    select.value = String(Math.min(chosen, n - 1));
  };
  state.layer = Math.min(state.layer, config.nLayer - 1);
  state.head = Math.min(state.head, config.nHead - 1);
  options(layerSelect, config.nLayer, state.layer);
  options(headSelect, config.nHead, state.head);
}

/** The logit lens's position picker: one option per token, the one read selected. */
function fillLensPicker(ex: Explanation): void {
  lensSelect.replaceChildren(
    ...ex.tokens.map((token, i) => {
      const option = document.createElement('option');
      option.value = String(i);
      option.textContent = `${i}: ${token.text}`;
      return option;
    }),
  );
  lensSelect.value = String(ex.lens.position);
}

function showTokens(ex: Explanation): void {
  const chips = ex.tokens.map((token) => {
    const chip = document.createElement('span');
    chip.className = 'token';
    chip.textContent = token.text;
    const id = document.createElement('small');
    id.textContent = String(token.id);
    chip.append(id);
    return chip;
  });
  byId('token-list').replaceChildren(...chips);
}

// ---- running the model ----

function request() {
  return {
    prompt: state.prompt,
    layer: state.layer,
    head: state.head,
    sampling: state.sampling,
    window: state.window,
    generateTokens: DEFAULT_GENERATED_TOKENS,
    lensPosition: state.lensPosition,
    compare: state.compare === '' ? null : state.compare,
  };
}

/** Scenes that show the generated tokens: drawn once those have come. */
const usesGeneration = (el: TransformerSceneElement) => SCENES.some((d) => d.name === el.sceneName && d.usesGeneration);
/** True between an explanation's first part and its generated tokens. */
let generationPending = false;

/** Whether a scene element shows a step this model has (RoPE is not GPT-2's, a position table not Llama's). */
function applies(el: TransformerSceneElement, config: ModelConfig): boolean {
  const definition = SCENES.find((d) => d.name === el.sceneName);
  return definition?.appliesTo?.(config) ?? true;
}

/** The prose and the scenes that are true of this model show; the others hide. */
function showPartsOf(config: ModelConfig): void {
  showProseFor(config);
  for (const el of sceneElements) {
    const figure = el.closest('figure') ?? el;
    figure.hidden = !applies(el, config);
  }
}

/**
 * Hands an Explanation to every scene; the scenes rebuild in place and keep their time, and one
 * of a step the model lacks (hidden) drops what an earlier model left in it. With `pending`, its
 * generated tokens are still to come: scenes that show them say so meanwhile.
 */
function showExplanation(ex: Explanation, pending = false): void {
  explanation = ex;
  generationPending = pending;
  for (const el of sceneElements) {
    if (pending && usesGeneration(el)) el.showScene(null, 'Generating the next tokens…');
    else el.explanation = ex;
  }
  showTokens(ex);
  fillLensPicker(ex);
  fillDimensions(ex.config, ex.tokens.length);
  const notes: Message[] = [];
  if (ex.droppedPromptTokens > 0) {
    notes.push({
      text: `Your prompt is ${formatCount(ex.tokens.length + ex.droppedPromptTokens)} tokens long, but this model reads at most ${formatCount(ex.config.nPositions)}. ` +
        `The first ${formatCount(ex.droppedPromptTokens)} tokens were left out; the scenes show the last ${formatCount(ex.tokens.length)}.`,
    });
  }
  if (ex.secondPromptError) notes.push({ text: ex.secondPromptError, error: true });
  if (ex.compare && ex.compare.droppedPromptTokens > 0) {
    notes.push({ text: `Your second prompt is longer than the ${formatCount(ex.config.nPositions)} tokens this model reads: its first ${formatCount(ex.compare.droppedPromptTokens)} tokens were left out.` });
  }
  if (ex.tokens.some((t) => t.text.includes('<0x'))) {
    notes.push({ text: 'Some characters of your prompt take several tokens. A token that holds only part of a character is shown as its bytes, such as <0xF0>.' });
  }
  promptNotes = notes;
  showMessages();
  setStatus(`${ex.modelName}: ${formatCount(ex.tokens.length)} tokens, ${formatCount(ex.parameterCount)} parameters.`);
  markScenes(pending);
  applyPendingSeek();
}

/** The generated tokens have come: the scenes that show them get the whole explanation. */
function showGeneration(full: Explanation): void {
  // The reader may have picked another layer or head meanwhile.
  explanation = { ...full, layer: state.layer, head: state.head };
  generationPending = false;
  for (const el of sceneElements) if (usesGeneration(el) && applies(el, full.config)) el.explanation = explanation;
  markScenes(false);
  applyPendingSeek();
}

/** For bench/page.ts: when the first scenes, and then every scene, last received new numbers (and drew them). */
function markScenes(pending: boolean): void {
  if (pending) performance.mark('first-scenes', { detail: { explainMilliseconds: client.lastFirstPartMilliseconds } });
  else performance.mark('scenes-updated', { detail: { explainMilliseconds: client.lastExplainMilliseconds } });
}

function applyPendingSeek(): void {
  const reduced = matchMedia('(prefers-reduced-motion: reduce)').matches;
  if (pendingSeek) {
    const target = sceneElements.find((el) => el.sceneName === pendingSeek!.scene);
    if (target && !target.sceneObject && generationPending && usesGeneration(target)) return; // seek once it is drawn
    if (target?.sceneObject) {
      target.pause();
      target.currentTime = pendingSeek.time;
      target.scrollIntoView({ block: 'center' });
    }
    pendingSeek = null;
    for (const el of sceneElements) if (el !== target && !reduced) el.play();
    // Started: the generated tokens, arriving later, must not set the linked scene playing.
    document.body.dataset.started = 'yes';
    return;
  }
  if (!reduced && !document.body.dataset.started) for (const el of sceneElements) el.play();
  document.body.dataset.started = 'yes';
}

async function run(): Promise<void> {
  if (!client.model) return;
  setStatus('Running the model…');
  try {
    let firstShown = false;
    const whole = await client.explain(request(), (first) => {
      firstShown = true;
      showExplanation(first, true);
    });
    if (firstShown) showGeneration(whole);
    else showExplanation(whole);
  } catch (error) {
    if (error instanceof Superseded) return;
    const message = (error as Error).message;
    setStatus(message);
    promptNotes = [{ text: error instanceof WorkerError && !error.user ? `Something went wrong in the model: ${message}` : message, error: true }];
    showMessages();
    if (generationPending) {
      generationPending = false;
      for (const el of sceneElements) if (usesGeneration(el)) el.showScene(null, `The generated tokens could not be computed: ${message}`);
    }
  }
}

// ---- loading a model, and where it computes ----

new ComputeControl(
  client,
  { panel: byId<HTMLDetailsElement>('model-panel'), box: byId<HTMLInputElement>('use-gpu'), status: byId('gpu-status') },
  () => void run(),
);

const picker = new ModelPicker({
  choose: (source, choice) => {
    modelNotice = null;
    showMessages();
    void loadModel(source, choice);
  },
  cancel: () => cancelLoad?.(),
});

/** The worker now explains with `model`: every scene, dimension and picker follows it. */
async function showModel(model: LoadedModel, choice: ModelChoice): Promise<void> {
  state.model = choice;
  const { config } = model;
  fillPickers(config); // first, as it keeps the layer and head in range for this model
  showPartsOf(config);
  // The worker starts on the prompt at once; the rest of the page catches up meanwhile.
  const running = run();
  writeUrl();
  const heads = config.nKvHead < config.nHead ? `${formatCount(config.nHead)} heads sharing ${formatCount(config.nKvHead)} key/value heads` : `${formatCount(config.nHead)} heads`;
  picker.showModelName(`${model.name} (${formatCount(config.nLayer)} blocks, ${heads}, C = ${formatCount(config.nEmbd)}, ${formatCount(config.vocabSize)} tokens)`);
  fillModelProse(model);
  await running;
}

// The training history of the built-in model; a model from it is a step of the built-in model's training.
const trainingHistory = new HistoryChapter(client, defaultModelSource, {
  modelChosen: (model) => void showModel(model, { kind: 'default' }),
  prompt: () => state.prompt,
});

/** Loads a model; false when it failed (the message is shown). */
async function loadModel(source: ModelSource, choice: ModelChoice): Promise<boolean> {
  cancelLoad?.();
  const what = source.kind === 'hub' ? source.repo : source.kind === 'files' ? (source.name ?? 'the model you picked') : 'the built-in model';
  picker.showLoading(what, source.kind === 'hub');
  setStatus(`Loading ${what}…`);
  const { done, cancel } = client.load(source, {
    progress: (file, loaded, total) => picker.showProgress(file, loaded, total),
    plan: (text) => picker.showPlan(text),
  });
  cancelLoad = cancel;
  try {
    const model = await done;
    cancelLoad = null;
    performance.mark('model-loaded', { detail: { ...model.timings, kernels: model.kernels } });
    picker.showDone((model.fromCache ? `Loaded ${model.name} from your browser's cache.` : `Loaded ${model.name}.`) + (model.cacheNote ? ` ${model.cacheNote}` : ''));
    trainingHistory.otherModelChosen(model.name);
    await showModel(model, choice);
  } catch (error) {
    cancelLoad = null;
    const e = error as WorkerError;
    picker.showDone(e.cancelled ? 'Download cancelled; nothing was kept.' : e.message);
    if (e.cancelled) {
      setStatus(client.model ? `Still using ${client.model.name}.` : 'No model loaded.');
      return false;
    }
    modelNotice = { text: `Could not load ${what}: ${e.message}`, error: true };
    if (e.evicted && source.kind === 'hub') picker.offerDownloadAgain(source.repo);
    showMessages();
    setStatus(client.model ? `Still using ${client.model.name}.` : 'No model loaded.');
    return false;
  }
  return true;
}

// A model trained in the page reaches the scenes as files the reader picked would (a link cannot carry it either).
new TrainPanel({
  useModel: (files, name) => loadModel({ kind: 'files', files, name }, { kind: 'files' }),
  prompt: () => state.prompt,
  setPrompt: (text) => {
    promptInput.value = state.prompt = text;
    writeUrl();
  },
});

async function startModel(): Promise<void> {
  const choice = state.model;
  if (choice.kind === 'hub') {
    if (await picker.hubCached(choice.repo)) {
      // A cached copy that fails to load leaves its message up, and the built-in model runs meanwhile.
      if (await loadModel({ kind: 'hub', repo: choice.repo, hubBase: hubBase() }, choice)) return;
      await loadModel(defaultModelSource(), { kind: 'default' });
      return;
    }
    picker.offerHub(choice.repo);
    modelNotice = { text: `This link used ${choice.repo} from Hugging Face, which is not in this browser's cache. Open “Model” and press Download to fetch it; meanwhile the built-in model runs.` };
  } else if (choice.kind === 'files') {
    modelNotice = { text: 'This link used a model from the reader’s own files, which a link cannot carry. Pick the files under “Model”; meanwhile the built-in model runs.' };
  }
  showMessages();
  // The page fetches the built-in model's files itself while the worker starts (ModelClient.load).
  await loadModel(defaultModelSource(), { kind: 'default' });
}

// ---- controls ----

promptInput.value = state.prompt;
compareInput.value = state.compare;
sampling.temperature.value = String(state.sampling.temperature);
sampling.topK.value = String(state.sampling.topK);
sampling.topP.value = String(state.sampling.topP);
sampling.seed.value = String(state.sampling.seed);
smallWindow.checked = state.window > 0;

byId<HTMLFormElement>('prompt-form').addEventListener('submit', (e) => e.preventDefault());
promptInput.addEventListener('input', () => {
  state.prompt = promptInput.value;
  writeUrl();
  void run();
  trainingHistory.promptChanged();
});

// The second prompt ('' for none): the comparing scenes show both, from two forward passes.
compareInput.addEventListener('input', () => {
  state.compare = compareInput.value;
  writeUrl();
  void run();
});

for (const input of Object.values(sampling)) {
  input.addEventListener('change', () => {
    // An empty field is not zero: NaN makes the worker say which setting needs a number.
    const read = (input: HTMLInputElement) => (input.value.trim() === '' ? NaN : Number(input.value));
    const next = {
      temperature: read(sampling.temperature),
      topK: read(sampling.topK),
      topP: read(sampling.topP),
      seed: read(sampling.seed),
    };
    // The seed only picks the draw, so the model code accepts any number; the page asks for a whole one.
    if (!Number.isInteger(next.seed) || next.seed < 0) {
      promptNotes = [{ text: `The seed must be a whole number of 0 or more, got “${sampling.seed.value}”.`, error: true }];
      showMessages();
      return;
    }
    // The worker checks temperature, top-k and top-p and says what is wrong.
    state.sampling = next;
    writeUrl();
    void run();
  });
}

smallWindow.addEventListener('change', () => {
  state.window = smallWindow.checked ? SMALL_WINDOW : 0;
  writeUrl();
  void run();
});

/** Shows another block and head in the attention scenes: every one is already in the trace, so only the scenes rebuild. */
function showLayerHead(layer: number, head: number): void {
  state.layer = layer;
  state.head = head;
  writeUrl();
  if (explanation) showExplanation({ ...explanation, layer, head }, generationPending);
}

for (const select of [layerSelect, headSelect]) {
  select.addEventListener('change', () => showLayerHead(Number(layerSelect.value), Number(headSelect.value)));
}

/** Reads the logit lens at another position: the worker runs the prompt again (its generated tokens it keeps). */
function showLensPosition(position: number): void {
  // The last token is kept as "the last", so a longer prompt is read at its new end.
  state.lensPosition = explanation && position === explanation.tokens.length - 1 ? null : position;
  writeUrl();
  void run();
}

lensSelect.addEventListener('change', () => showLensPosition(Number(lensSelect.value)));

/** What a reader chose inside a scene, applied as the page's own pickers would. */
function choose(choice: SpotChoice): void {
  if (choice.layer !== undefined && choice.head !== undefined && client.model) {
    const { nLayer, nHead } = client.model.config;
    if (choice.layer >= nLayer || choice.head >= nHead) return;
    layerSelect.value = String(choice.layer);
    headSelect.value = String(choice.head);
    showLayerHead(choice.layer, choice.head);
    setStatus(`The attention scenes now follow block ${choice.layer}, head ${choice.head}.`);
  }
  if (choice.position !== undefined && explanation && choice.position < explanation.tokens.length) {
    lensSelect.value = String(choice.position);
    showLensPosition(choice.position);
  }
}

void startModel();
