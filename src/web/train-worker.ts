// The training worker: trains a character-level model on the reader's text with the command
// line's trainer (src/train/) and the WebAssembly SIMD kernels, one thread, off the page's main
// thread, so the scenes keep animating. It reports every step and evaluation, keeps the files of
// the best checkpoint by validation loss (as `train` saves it), and stops between steps when asked.
// Protocol in train-protocol.ts.

/// <reference lib="webworker" />

import { bestTrainingKernels } from '../kernels/index.ts';
import { modelToFiles } from '../model/checkpoint.ts';
import { ModelError } from '../model/config.ts';
import { tokenizerDescriptionText } from '../model/tokenizer-file.ts';
import { CharTokenizer } from '../tokenizer/char.ts';
import { splitText } from '../train/data.ts';
import { evaluationDue, StepClock } from '../train/progress.ts';
import { checkTrainingText, TrainingTextError } from '../train/text.ts';
import { Trainer, type TrainSettings } from '../train/trainer.ts';
import type { Checkpoint, FromTrainer, ModelFolderFiles, ToTrainer } from './train-protocol.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let stopRequested = false;

/** A problem the reader can fix: shown as it is, without "something went wrong". */
class RunError extends Error {
  override name = 'RunError';
}

function post(message: FromTrainer, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

/** The three files `train` would write for the trainer's current weights (F32, as its default). */
function folderFiles(trainer: Trainer, tokenizer: CharTokenizer): ModelFolderFiles {
  const { config, weights } = trainer.fullModel();
  const { configJsonText, safetensorsBytes } = modelToFiles(config, weights, 'F32');
  // describeTokenizer's char case: importing it from tokenizer/index.ts would bring GPT-2's tables (0.5 MB) into this worker.
  const tokenizerJson = tokenizerDescriptionText({ tokenizer: 'char', vocabulary: tokenizer.vocabulary });
  return { configJson: configJsonText, weights: safetensorsBytes, tokenizerJson };
}

/** Lets a waiting 'stop' message in (a message-channel task: no timer's minimum delay). */
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

async function train(text: string, settings: TrainSettings): Promise<void> {
  checkTrainingText(text, settings.blockSize);
  const tokenizer = CharTokenizer.fromText(text);
  const split = splitText(text, (part) => tokenizer.encode(part));
  const kernels = bestTrainingKernels();
  const trainer = new Trainer(settings, { train: split.train, val: split.val, vocabSize: tokenizer.vocabSize }, kernels);
  post({
    type: 'started',
    info: {
      parameters: trainer.model.params.length,
      trainTokens: split.train.length,
      valTokens: split.val.length,
      vocabulary: tokenizer.vocabSize,
      tokensPerStep: trainer.tokensPerStep,
      kernels: kernels.name,
    },
  });

  const started = performance.now();
  const firstIter = trainer.iter;
  const clock = new StepClock(trainer.tokensPerStep);
  let best: Checkpoint | null = null;
  const evaluate = () => {
    const evaluation = trainer.evaluate();
    const isBest = trainer.isNewBest(evaluation);
    if (isBest) best = { step: evaluation.iter, val: evaluation.val, files: folderFiles(trainer, tokenizer) };
    post({ type: 'evaluated', evaluation, best: isBest });
  };

  while (true) {
    if (evaluationDue(trainer.iter, settings)) evaluate();
    if (trainer.iter >= settings.maxIters || stopRequested) break;
    const t0 = performance.now();
    const result = trainer.step();
    clock.record((performance.now() - t0) / 1000);
    if (!Number.isFinite(result.loss)) {
      throw new RunError(`The loss became ${result.loss} at step ${trainer.iter}: training went off the rails. Start again with a lower learning rate.`);
    }
    post({ type: 'step', step: trainer.iter, loss: result.loss, tokensPerSecond: clock.tokensPerSecond, secondsLeft: clock.secondsLeft(settings.maxIters - trainer.iter) });
    await yieldToMessages();
  }
  // Stopped between evaluations: the weights as they are now are a checkpoint too.
  if (trainer.history.at(-1)?.iter !== trainer.iter) evaluate();
  const chosen = best as Checkpoint | null;
  if (!chosen) throw new Error('a finished run has no evaluated checkpoint');
  post(
    { type: 'finished', stopped: stopRequested, steps: trainer.iter - firstIter, seconds: (performance.now() - started) / 1000, best: chosen },
    [chosen.files.weights.buffer as ArrayBuffer],
  );
}

/** Errors the reader can act on, versus bugs. Running out of memory for large settings is a RangeError. */
function isUserError(error: unknown): boolean {
  return error instanceof RunError || error instanceof TrainingTextError || error instanceof ModelError || error instanceof RangeError;
}

scope.onmessage = (event: MessageEvent<ToTrainer>) => {
  const message = event.data;
  if (message.type === 'stop') {
    stopRequested = true;
    return;
  }
  train(message.text, message.settings).catch((error: unknown) => {
    const e = error as Error;
    const message = e instanceof RangeError ? `The model does not fit in this tab's memory (${e.message}). Choose fewer blocks, a smaller width, context or batch.` : e.message;
    post({ type: 'error', message, user: isUserError(error) });
  });
};
