// The "How it learned" chapter: when the reader opens it (and not before), it fetches the built-in
// model's training log and every snapshot of its training, with progress; then a slider picks
// the model every scene shows, a plot draws the log's losses with the chosen step marked, and a
// table sets the prompt's next-token prediction of every snapshot side by side (computed in the
// worker). Every string from the log or the tokenizer is set as text.

import { formatCount, formatFixed, percentDecimals } from '../render/frame.ts';
import { readTrainingLog, type TrainingLog } from '../train/log.ts';
import { historyFiles, type HistoryFiles } from './history-files.ts';
import { markStep, markerText } from './history-plot.ts';
import { drawLossPlot, lossPlot, type LossPlot } from './loss-plot.ts';
import { Superseded, type ModelClient } from './model-client.ts';
import type { HistoryGuess, HistoryModelSource, LoadedModel, ModelSource } from './worker-protocol.ts';
import { byId } from './dom.ts';

/** Most likely tokens shown per snapshot. */
const TOP = 5;

export interface HistoryEvents {
  /** The reader moved the slider: the worker now explains with `model`; every scene must follow. */
  modelChosen(model: LoadedModel): void;
  /** The prompt the scenes show. */
  prompt(): string;
}

export class HistoryChapter {
  private readonly details = byId<HTMLDetailsElement>('history');
  private readonly status = byId('history-status');
  private readonly progress = byId<HTMLProgressElement>('history-progress');
  private readonly body = byId('history-body');
  private readonly slider = byId<HTMLInputElement>('history-step');
  private readonly stepText = byId<HTMLOutputElement>('history-step-text');
  private readonly svg = byId('history-plot').querySelector('svg')!;
  private readonly guessTable = byId('history-guesses');
  private log: TrainingLog | null = null;
  private plot: LossPlot | null = null;
  private models: HistoryModelSource[] = [];
  private started = false;
  private ready = false;
  private guessRequest = 0;
  private switchRequest = 0;

  constructor(
    private readonly client: ModelClient,
    private readonly builtIn: () => Extract<ModelSource, { kind: 'url' }>,
    private readonly events: HistoryEvents,
  ) {
    const files = historyFiles();
    if (!files) {
      // A build without a training history: the chapter says so, loads nothing, and keeps only its prose on training itself.
      this.details.querySelector('summary')!.textContent = 'The built-in model in this build has no training history.';
      for (const p of document.querySelectorAll<HTMLElement>('#s-history .needs-history')) p.hidden = true;
      this.details.setAttribute('inert', '');
      return;
    }
    this.details.addEventListener('toggle', () => {
      if (this.details.open && !this.started) void this.start(files);
    });
    this.slider.addEventListener('input', () => void this.choose(Number(this.slider.value)));
  }

  /** The prompt changed: the side-by-side predictions follow it. */
  promptChanged(): void {
    if (this.ready) void this.guess();
  }

  /** The reader picked a model from the model panel: the scenes no longer show a history model. */
  otherModelChosen(name: string): void {
    if (!this.ready) return;
    this.showChoice(`The scenes show ${name}; move the slider to show a model from this training again.`);
  }

  private async start(files: HistoryFiles): Promise<void> {
    this.started = true;
    this.setStatus('Loading the training log…');
    this.progress.hidden = false;
    try {
      const response = await fetch(files.logUrl);
      if (!response.ok) throw new Error(`${files.logUrl} answered ${response.status} ${response.statusText}`);
      const log = readTrainingLog(await response.text(), 'the training log');
      this.log = log;
      this.models = historyModels(log, files, this.builtIn());
      const steps = await this.client.loadHistory(this.models, (file, loaded, total) => this.showProgress(file, loaded, total));
      this.ready = true;
      this.progress.hidden = true;
      this.setStatus(`Loaded the model at ${steps.length} points of its training.`);
      this.body.hidden = false;
      this.slider.max = String(this.models.length - 1);
      // The slider starts at the built-in model, which the scenes already show unless another was picked.
      const builtIn = this.models.findIndex((m) => m.step === log.best?.step);
      this.slider.value = String(builtIn >= 0 ? builtIn : this.models.length - 1);
      this.describeSlider(Number(this.slider.value));
      this.drawPlot();
      new ResizeObserver(() => this.drawPlot()).observe(this.svg.parentElement!);
      this.describePlot(log);
      this.showChoice(`Move the slider to show the model at another step in every scene above.`);
      await this.guess();
    } catch (error) {
      this.progress.hidden = true;
      this.started = false; // closing and opening the chapter tries again
      this.setStatus(`Could not load the training history: ${(error as Error).message}`, true);
    }
  }

  /** Draws the plot at the figure's own width (so its text keeps its size on a narrow screen), the slider's step marked. */
  private drawPlot(): void {
    const width = Math.round(Math.max(320, Math.min(720, this.svg.parentElement!.clientWidth || 640)));
    if (!this.log || this.plot?.width === width) return;
    this.plot = lossPlot(this.log, { unit: 'token', width, height: Math.round(Math.max(220, width * 0.44)) });
    drawLossPlot(this.svg, this.plot);
    markStep(this.svg, this.plot, this.log, this.models[Number(this.slider.value)].step);
  }

  private async choose(index: number): Promise<void> {
    const source = this.models[index];
    if (!source || !this.log || !this.plot) return;
    this.describeSlider(index);
    markStep(this.svg, this.plot, this.log, source.step);
    this.highlightColumn(index);
    const request = ++this.switchRequest;
    try {
      const model = await this.client.useHistory(index);
      if (request !== this.switchRequest) return; // the slider moved on meanwhile
      this.showChoice(`Every scene above now shows the model after ${formatCount(source.step)} training steps.`);
      this.events.modelChosen(model);
    } catch (error) {
      this.setStatus(`Could not switch to the model at step ${source.step}: ${(error as Error).message}`, true);
    }
  }

  private async guess(): Promise<void> {
    const request = ++this.guessRequest;
    try {
      const guesses = await this.client.guessHistory(this.events.prompt(), TOP);
      if (request === this.guessRequest) this.showGuesses(guesses);
    } catch (error) {
      if (error instanceof Superseded || request !== this.guessRequest) return;
      this.guessTable.replaceChildren(paragraph(`The predictions could not be computed: ${(error as Error).message}`));
    }
  }

  /** A table: one column per history model, its most likely next tokens and the distribution's entropy. */
  private showGuesses(guesses: HistoryGuess[]): void {
    const table = document.createElement('table');
    const caption = document.createElement('caption');
    caption.textContent = 'The next token after your prompt, by training step';
    const head = document.createElement('tr');
    head.append(cell('th', 'step', 'col'), ...guesses.map((g) => cell('th', formatCount(g.step), 'col')));
    const rows = Array.from({ length: TOP }, (_, rank) => {
      const tr = document.createElement('tr');
      tr.append(cell('th', `#${rank + 1}`, 'row'));
      for (const g of guesses) {
        const t = g.top[rank];
        const td = cell('td', '');
        if (t) {
          const piece = document.createElement('span');
          piece.className = 'piece';
          piece.textContent = t.piece;
          const p = document.createElement('span');
          p.className = 'probability';
          p.textContent = `${formatFixed(100 * t.probability, percentDecimals(t.probability))}%`;
          p.dataset.value = String(t.probability);
          td.append(piece, ' ', p);
          td.dataset.token = String(t.id);
        }
        tr.append(td);
      }
      return tr;
    });
    const entropy = document.createElement('tr');
    entropy.append(cell('th', 'entropy', 'row'), ...guesses.map((g) => Object.assign(cell('td', `${formatFixed(g.entropy, 2)} nats`), { title: String(g.entropy) })));
    entropy.className = 'entropy';
    table.append(caption, head, ...rows, entropy);
    const note = paragraph(`Each column is one model: its ${TOP} most likely next tokens, and the entropy of its whole distribution (the natural log of the vocabulary size when every token is equally likely; lower is more certain).`);
    note.className = 'note';
    const scroller = document.createElement('div');
    scroller.className = 'scroller';
    scroller.append(table);
    this.guessTable.replaceChildren(note, scroller);
    this.highlightColumn(Number(this.slider.value));
  }

  private highlightColumn(index: number): void {
    for (const row of this.guessTable.querySelectorAll('tr')) {
      [...row.children].forEach((c, i) => c.classList.toggle('chosen', i === index + 1));
    }
  }

  private describeSlider(index: number): void {
    const source = this.models[index];
    const text = markerText(this.log!, source.step) + (source.step === this.log!.best?.step ? ' (the built-in model)' : '');
    this.slider.setAttribute('aria-valuetext', text);
    this.stepText.textContent = text;
  }

  /** A sentence for screen readers: what the plot shows, from the log. */
  private describePlot(log: TrainingLog): void {
    const first = log.evaluations[0];
    const last = log.evaluations[log.evaluations.length - 1];
    const summary = first && last
      ? `Loss against training step, over ${formatCount(log.loss.length)} steps: validation loss ${formatFixed(first.val, 2)} at step ${first.iter}, ${formatFixed(last.val, 2)} at step ${last.iter}` +
        (log.best ? `, lowest ${formatFixed(log.best.val, 2)} at step ${log.best.step}.` : '.')
      : 'Loss against training step.';
    this.svg.setAttribute('aria-label', summary);
  }

  private showProgress(file: string, loaded: number, total: number | null): void {
    const mb = (n: number) => (n / 1e6).toFixed(1);
    if (total) {
      this.progress.max = total;
      this.progress.value = loaded;
    } else {
      this.progress.removeAttribute('value');
    }
    this.setStatus(`Loading ${file}: ${mb(loaded)}${total ? ` of ${mb(total)}` : ''} MB`);
  }

  private showChoice(text: string): void {
    byId('history-choice').textContent = text;
  }

  private setStatus(text: string, error = false): void {
    this.status.textContent = text;
    this.status.classList.toggle('error', error);
  }
}

/**
 * The models the slider steps through, in order of step: every snapshot the log lists, and the
 * built-in model itself at its step when no snapshot was kept there.
 */
function historyModels(log: TrainingLog, files: HistoryFiles, builtIn: Extract<ModelSource, { kind: 'url' }>): HistoryModelSource[] {
  const models: HistoryModelSource[] = [];
  for (const s of log.snapshots) {
    const configUrl = files.file(s.dir, 'config.json');
    const weightsUrl = files.file(s.dir, 'model.safetensors');
    if (!configUrl || !weightsUrl) continue; // not shipped
    models.push({ step: s.step, name: `built-in model at step ${formatCount(s.step)}`, configUrl, weightsUrl, metaUrl: files.file(s.dir, 'animated-transformer.json') });
  }
  const best = log.best?.step;
  if (best !== undefined && !models.some((m) => m.step === best)) {
    models.push({ step: best, name: 'built-in model', configUrl: builtIn.configUrl, weightsUrl: builtIn.weightsUrl, metaUrl: builtIn.metaUrl });
  }
  return models.sort((a, b) => a.step - b.step);
}

function cell(kind: 'th' | 'td', text: string, scope?: 'row' | 'col'): HTMLTableCellElement {
  const el = document.createElement(kind);
  el.textContent = text;
  if (scope) el.scope = scope;
  return el;
}

function paragraph(text: string): HTMLParagraphElement {
  const p = document.createElement('p');
  p.textContent = text;
  return p;
}
