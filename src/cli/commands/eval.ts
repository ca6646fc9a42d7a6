// `eval --data FILE`: a model's loss (nats per token) and perplexity on the validation split
// of a text file (its last 10% of characters, as training splits it).

import { bestTrainingKernels } from '../../kernels/index.ts';
import { forwardLoss, sequenceLoss, type LossResult } from '../../train/evaluate.ts';
import type { Tokenizer } from '../../tokenizer/tokenizer.ts';
import { isLlamaForCli, loadAnyForCli, loadWeightsForCli } from '../load.ts';
import { CommandError, UsageError, numberFlag, parseFlags, type CommandSpec } from '../usage.ts';
import { readTextFile, tokenizeSplit } from './train.ts';

const USAGE = `animated-transformer eval --data FILE [options]

  Scores the model on the last 10% of the text's characters (the validation split
  training holds out): the mean loss in nats per token and the perplexity exp(loss).
  The split is cut into consecutive windows of the model's context; every position
  predicts its next token.

  --data FILE        the text (UTF-8)
  --model DIR        a GPT-2-layout or Llama-family folder; default: the embedded model
  --block-size N     window length (default: the model's context, at most 1024)
  --max-tokens N     score at most N predictions (default: the whole split)
  --json             print {"split": "val", "tokens": N, "loss": L, "perplexity": P}`;

export const evalCommand: CommandSpec = {
  name: 'eval',
  summary: "a model's validation loss and perplexity on a text file",
  usage: USAGE,

  async run(args) {
    const { values, positionals } = parseFlags(
      args,
      { data: { type: 'string' }, model: { type: 'string' }, 'block-size': { type: 'string' }, 'max-tokens': { type: 'string' }, json: { type: 'boolean' } },
      false,
    );
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (!values.data) throw new UsageError('--data FILE is required');
    const maxTokens = numberFlag(values['max-tokens'], '--max-tokens', Infinity, { min: 1, integer: true });
    // GPT-2 folders through the trainer's batched pass; the Llama family through its own forward pass.
    let context: number;
    let vocabSize: number;
    let tokenizer: Tokenizer;
    let name: string;
    let score: (ids: Int32Array, window: number, most: number) => LossResult;
    if (await isLlamaForCli(values.model)) {
      const loaded = await loadAnyForCli(values.model);
      ({ tokenizer, name } = loaded);
      context = Math.min(loaded.context, 1024);
      vocabSize = loaded.vocabSize;
      score = (ids, window, most) => forwardLoss(loaded.model, ids, window, most);
    } else {
      const { config, weights, ...rest } = await loadWeightsForCli(values.model);
      ({ tokenizer, name } = rest);
      context = Math.min(config.nPositions, 1024);
      vocabSize = config.vocabSize;
      score = (ids, window, most) => sequenceLoss(config, weights, ids, window, bestTrainingKernels(), most);
    }
    const T = numberFlag(values['block-size'], '--block-size', context, { min: 1, max: context, integer: true });
    const text = await readTextFile(values.data);
    const split = tokenizeSplit(text, tokenizer, values.data);
    if (split.val.length < 2) {
      throw new UsageError(`${values.data}: the validation split (last 10% of the text) has ${split.val.length} token(s); give a longer text`);
    }
    const outside = split.val.find((id) => id >= vocabSize);
    if (outside !== undefined) {
      throw new CommandError(`${values.data}: its tokenizer gives token id ${outside}, but ${name} has rows for ids 0 to ${vocabSize - 1} only; the model folder's tokenizer does not match its weights`);
    }
    // A split shorter than one window is scored as one shorter window.
    const window = Math.min(T, split.val.length - 1);
    const { tokens, loss } = score(split.val, window, Math.max(maxTokens, window));
    const perplexity = Math.exp(loss);
    if (values.json) {
      console.log(JSON.stringify({ split: 'val', tokens, loss, perplexity }));
    } else {
      console.log(`${name} on ${values.data} (validation split): loss ${loss.toFixed(4)} nats/token, perplexity ${perplexity.toFixed(2)}, over ${tokens} tokens in windows of ${window}`);
    }
    return 0;
  },
};
