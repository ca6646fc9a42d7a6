// "Train your own": the reader's text (pasted or from a file), its character-frequency entropy,
// the run's settings, Train / Stop / Save, and the live plot and figures of a run, which a
// training worker of its own computes (train-worker.ts). When a run ends, its best checkpoint
// goes to every scene through the page's way of loading a model (events.useModel).
// Everything from the reader or a file is shown as text, never HTML.

import type { Evaluation, TrainSettings } from '../train/trainer.ts';
import { formatDuration } from '../train/progress.ts';
import { checkTrainingText, decodeTextFile, TrainingTextError, type TextSummary } from '../train/text.ts';
import { CONFIG_FILE, WEIGHTS_FILE } from '../model/checkpoint.ts';
import { TOKENIZER_FILE } from '../model/tokenizer-file.ts';
import { drawLossPlot, lossPlot, type RunLog } from './loss-plot.ts';
import { SETTING_FIELDS, SettingsError, settingsFromForm, TAB_SETTINGS, trainCommandLine } from './train-settings.ts';
import type { Checkpoint, FromTrainer, RunInfo, ToTrainer } from './train-protocol.ts';
import { byId } from './dom.ts';
import { formatCount } from '../render/frame.ts';

/** Texts up to this long are summarised as they are typed (a millisecond or so); longer ones when the typing stops. */
const INSTANT_SUMMARY_CHARACTERS = 20_000;

export interface TrainPanelEvents {
  /** Loads a model folder's files into every scene, under `name`; false when it failed (the page says why). */
  useModel(files: File[], name: string): Promise<boolean>;
  /** The reader's prompt, and a way to replace it (before useModel, which runs it). */
  prompt(): string;
  setPrompt(text: string): void;
}

/**
 * A prompt a model of `vocabulary` can read: `prompt` itself when it can, else the start of the
 * text's first line that has any (at most 40 characters, cut after a word where one ends).
 */
export function promptFor(prompt: string, vocabulary: string, text: string): string {
  const known = new Set(vocabulary);
  if (prompt !== '' && Array.from(prompt).every((ch) => known.has(ch))) return prompt;
  const line = Array.from(text.split('\n').find((l) => l.trim() !== '')!.trim()).slice(0, 40).join('');
  const space = line.lastIndexOf(' ');
  return line.length === 40 && space > 10 ? line.slice(0, space) : line;
}

const nats = (n: number) => n.toFixed(2);

interface Run {
  worker: Worker;
  settings: TrainSettings;
  /** The text it trains on, and its summary. */
  text: string;
  summary: TextSummary;
  info: RunInfo | null;
  log: RunLog;
  stopping: boolean;
  /** It replaced a run that was still going. */
  restarted: boolean;
}

export class TrainPanel {
  private readonly text = byId<HTMLTextAreaElement>('train-text');
  private readonly file = byId<HTMLInputElement>('train-file');
  private readonly summaryLine = byId('train-summary');
  private readonly fields = byId<HTMLFieldSetElement>('train-settings-fields');
  private readonly command = byId('train-command');
  private readonly startButton = byId<HTMLButtonElement>('train-start');
  private readonly stopButton = byId<HTMLButtonElement>('train-stop');
  private readonly saveButton = byId<HTMLButtonElement>('train-save');
  private readonly message = byId('train-message');
  private readonly stats = byId('train-stats');
  private readonly svg = byId('train-plot').querySelector('svg')!;
  private readonly table = byId<HTMLTableElement>('train-evaluations');
  private readonly inputs = new Map<keyof TrainSettings, HTMLInputElement>();
  private run: Run | null = null;
  /** The checkpoint of the last run that ended, for Save. */
  private checkpoint: Checkpoint | null = null;
  private summaryTimer = 0;
  private drawPending = false;

  constructor(private readonly events: TrainPanelEvents) {
    for (const field of SETTING_FIELDS) {
      const label = document.createElement('label');
      label.textContent = `${field.label} `;
      const input = document.createElement('input');
      input.type = 'number';
      input.id = `train-${field.flag}`;
      input.min = String(field.min);
      input.max = String(field.max);
      input.step = field.integer ? '1' : 'any';
      input.inputMode = field.integer ? 'numeric' : 'decimal';
      input.value = String(TAB_SETTINGS[field.key]);
      input.addEventListener('input', () => this.showCommand());
      label.append(input);
      this.fields.append(label);
      this.inputs.set(field.key, input);
    }
    this.showCommand();
    // The prose names the defaults; they come from here, so the two never disagree.
    for (const el of document.querySelectorAll<HTMLElement>('[data-train-default]')) {
      el.textContent = formatCount(TAB_SETTINGS[el.dataset.trainDefault as keyof TrainSettings]);
    }
    this.text.addEventListener('input', () => {
      clearTimeout(this.summaryTimer);
      // A short text is summarised at once, so the buttons below the summary never move a moment
      // after the reader reaches for them; a long paste once the typing stops.
      if (this.text.value.length <= INSTANT_SUMMARY_CHARACTERS) this.showSummary();
      else this.summaryTimer = window.setTimeout(() => this.showSummary(), 250);
    });
    this.file.addEventListener('change', () => void this.readFile());
    this.startButton.addEventListener('click', () => this.start());
    this.stopButton.addEventListener('click', () => this.stop());
    this.saveButton.addEventListener('click', () => void this.save());
  }

  private say(text: string, error = false): void {
    this.message.textContent = text;
    this.message.classList.toggle('error', error);
  }

  private settings(): TrainSettings {
    const values: Partial<Record<keyof TrainSettings, string>> = {};
    for (const [key, input] of this.inputs) values[key] = input.value;
    return settingsFromForm(values);
  }

  private showCommand(): void {
    try {
      this.command.textContent = trainCommandLine(this.settings());
    } catch (error) {
      this.command.textContent = (error as Error).message;
    }
  }

  /** The text's size and character-frequency entropy, or why it cannot be trained on. */
  private showSummary(): TextSummary | null {
    clearTimeout(this.summaryTimer);
    let blockSize = TAB_SETTINGS.blockSize;
    try {
      blockSize = this.settings().blockSize;
    } catch {
      // A bad setting is reported when Train is pressed; the default context judges the text meanwhile.
    }
    try {
      const summary = checkTrainingText(this.text.value, blockSize);
      const V = summary.vocabulary.length;
      this.summaryLine.textContent =
        `Your text: ${formatCount(summary.characters)} characters, ${formatCount(V)} of them distinct. Its character-frequency entropy is ${nats(summary.entropy)} nats per character: ` +
        `a model that knew only how often each character occurs, and nothing of the characters before it, would score a loss of about ${nats(summary.entropy)}. ` +
        `Guessing evenly among the ${formatCount(V)} characters would score ln ${formatCount(V)} = ${nats(Math.log(V))}, about where training starts. ` +
        'A loss below the entropy is what the model has learned from context.';
      this.summaryLine.classList.remove('error');
      return summary;
    } catch (error) {
      if (!(error instanceof TrainingTextError)) throw error;
      this.summaryLine.textContent = this.text.value === '' ? '' : error.message;
      this.summaryLine.classList.toggle('error', this.text.value !== '');
      return null;
    }
  }

  private async readFile(): Promise<void> {
    const picked = this.file.files?.[0];
    this.file.value = '';
    if (!picked) return;
    try {
      this.text.value = decodeTextFile(new Uint8Array(await picked.arrayBuffer()), picked.name);
      this.say(`Read ${picked.name}.`);
      this.showSummary();
    } catch (error) {
      if (!(error instanceof TrainingTextError)) throw error;
      this.say(error.message, true);
    }
  }

  private start(): void {
    let settings: TrainSettings;
    let summary: TextSummary;
    try {
      settings = this.settings();
      summary = checkTrainingText(this.text.value, settings.blockSize);
    } catch (error) {
      if (!(error instanceof SettingsError || error instanceof TrainingTextError)) throw error;
      this.say(error.message, true);
      return;
    }
    this.showSummary();
    const previous = this.run;
    if (previous) previous.worker.terminate();
    const worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module', name: 'train' });
    const run: Run = { worker, settings, text: this.text.value, summary, info: null, log: { loss: [], evaluations: [] }, stopping: false, restarted: previous !== null };
    this.run = run;
    worker.onmessage = (event: MessageEvent<FromTrainer>) => {
      if (this.run === run) this.receive(run, event.data);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      if (this.run === run) this.fail(`The training worker failed: ${event.message}`);
    };
    worker.postMessage({ type: 'start', text: this.text.value, settings } satisfies ToTrainer);
    this.startButton.textContent = 'Start again';
    this.stopButton.disabled = false;
    this.table.tBodies[0].replaceChildren();
    this.table.hidden = true;
    this.say(`${this.restartNote(run)}Starting a ${settings.nLayer}-block model…`);
    this.stats.textContent = '';
    this.draw(run);
  }

  private restartNote(run: Run): string {
    return run.restarted ? 'Started again; the run before was discarded. ' : '';
  }

  private stop(): void {
    const run = this.run;
    if (!run || run.stopping) return;
    run.stopping = true;
    run.worker.postMessage({ type: 'stop' } satisfies ToTrainer);
    this.stopButton.disabled = true;
    this.say('Stopping after this step, then measuring the model once more…');
  }

  private receive(run: Run, message: FromTrainer): void {
    const s = run.settings;
    switch (message.type) {
      case 'started': {
        run.info = message.info;
        const i = message.info;
        this.say(
          `${this.restartNote(run)}Training ${formatCount(i.parameters)} parameters on ${formatCount(i.trainTokens)} characters (${formatCount(i.valTokens)} kept for validation), ` +
            `${formatCount(i.vocabulary)} distinct, ${formatCount(i.tokensPerStep)} characters a step, with the ${i.kernels} kernels.`,
        );
        break;
      }
      case 'step':
        run.log.loss.push(message.loss);
        this.stats.textContent =
          `step ${formatCount(message.step)} of ${formatCount(s.maxIters)} · training loss ${nats(message.loss)} · ` +
          `${formatCount(Math.round(message.tokensPerSecond))} tokens (characters) per second · ${formatDuration(message.secondsLeft)} left`;
        this.scheduleDraw(run);
        break;
      case 'evaluated':
        run.log.evaluations.push(message.evaluation);
        this.addEvaluation(message.evaluation, message.best);
        this.scheduleDraw(run);
        break;
      case 'finished':
        void this.finish(run, message);
        break;
      case 'error':
        this.fail(message.user ? message.message : `Something went wrong in the training worker: ${message.message}`);
        break;
    }
  }

  private addEvaluation(e: Evaluation, best: boolean): void {
    const row = document.createElement('tr');
    for (const text of [formatCount(e.iter), nats(e.train), nats(e.val) + (best ? ' (best so far)' : '')]) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    this.table.tBodies[0].append(row);
    this.table.hidden = false;
  }

  /** Redraws the plot at the next frame (steps can come faster than frames). */
  private scheduleDraw(run: Run): void {
    if (this.drawPending) return;
    this.drawPending = true;
    requestAnimationFrame(() => {
      this.drawPending = false;
      if (this.run === run) this.draw(run);
    });
  }

  private draw(run: Run): void {
    const plot = lossPlot(run.log, { unit: 'character', steps: run.settings.maxIters, entropy: run.summary.entropy });
    drawLossPlot(this.svg, plot);
    const lastVal = run.log.evaluations.at(-1);
    const lastTrain = run.log.loss.at(-1);
    this.svg.setAttribute(
      'aria-label',
      `Loss against training step, ${formatCount(run.log.loss.length)} of ${formatCount(run.settings.maxIters)} steps: ` +
        (lastTrain === undefined ? 'no step yet' : `training loss ${nats(lastTrain)} at the last step`) +
        (lastVal ? `, validation loss ${nats(lastVal.val)} at step ${formatCount(lastVal.iter)}` : '') +
        `; the character-frequency entropy is ${nats(run.summary.entropy)}.`,
    );
  }

  private fail(text: string): void {
    this.run?.worker.terminate();
    this.run = null;
    this.stopButton.disabled = true;
    this.startButton.textContent = 'Train';
    this.say(text, true);
  }

  private async finish(run: Run, done: Extract<FromTrainer, { type: 'finished' }>): Promise<void> {
    run.worker.terminate();
    this.run = null;
    this.draw(run);
    this.checkpoint = done.best;
    this.stopButton.disabled = true;
    this.startButton.textContent = 'Train';
    this.saveButton.disabled = false;
    const steps = run.log.loss.length;
    const ended = done.stopped
      ? `Stopped at step ${formatCount(steps)} of ${formatCount(run.settings.maxIters)} after ${formatDuration(done.seconds)}.`
      : `Trained ${formatCount(steps)} steps in ${formatDuration(done.seconds)}.`;
    const best = done.best;
    const which = best.step === steps
      ? `as it is after step ${formatCount(best.step)}, which is also its best checkpoint`
      : `at its best checkpoint, step ${formatCount(best.step)} (the run went on to step ${formatCount(steps)}, but the validation loss was lowest there)`;
    const loss = `validation loss ${nats(best.val)} nats per character, against the text's character-frequency entropy of ${nats(run.summary.entropy)}`;
    this.say(`${ended} Loading your model into the scenes…`);
    // A prompt with characters the text never uses cannot be read by this model.
    const prompt = promptFor(this.events.prompt(), run.summary.vocabulary, run.text);
    const promptNote = prompt === this.events.prompt() ? '' : ` Your prompt had characters your text does not use, so it is now “${prompt}”, from the start of your text.`;
    if (promptNote) this.events.setPrompt(prompt);
    const name = `your model, step ${best.step}`;
    const files = [
      new File([best.files.configJson], CONFIG_FILE, { type: 'application/json' }),
      new File([best.files.weights as Uint8Array<ArrayBuffer>], WEIGHTS_FILE),
      new File([best.files.tokenizerJson], TOKENIZER_FILE, { type: 'application/json' }),
    ];
    const loaded = await this.events.useModel(files, name);
    if (this.run) return; // a new run has started meanwhile and says what it does
    this.say(
      loaded
        ? `${ended} Every scene now shows your model ${which}: ${loss}.${promptNote} A prompt may use only characters of your text.`
        : `${ended} Your model (${loss}) could not be shown in the scenes; the message at the top says why. You can still save it.`,
      !loaded,
    );
  }

  private async save(): Promise<void> {
    const checkpoint = this.checkpoint;
    if (!checkpoint) return;
    try {
      // Loaded when first needed: the .zip writer is not part of the page's first download.
      const { saveModelFolder } = await import('./save-model.ts');
      const where = await saveModelFolder(checkpoint.files, `trained-model-step-${checkpoint.step}`);
      if (where === null) {
        this.say('Not saved: no folder was picked.');
        return;
      }
      this.say(`${where} The command line reads it with --model, and “Model” at the top of the page loads it again.`);
    } catch (error) {
      this.say(`The model could not be saved: ${(error as Error).message}`, true);
    }
  }
}
