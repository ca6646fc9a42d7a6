// `generate PROMPT`: continue the prompt token by token with the chosen sampling rule.

import { DEFAULT_SAMPLING, pieceOf } from '../../model/explain.ts';
import type { Tokenizer } from '../../tokenizer/tokenizer.ts';
import { generate } from '../../model/generate.ts';
import { describeSampling, validateSampling } from '../../model/sampling.ts';
import { loadAnyForCli, promptIds } from '../load.ts';
import { numberFlag, parseFlags, promptFrom, UsageError, type CommandSpec } from '../usage.ts';

export const generateCommand: CommandSpec = {
  name: 'generate',
  summary: 'continue a prompt, one token at a time',
  usage: `animated-transformer generate PROMPT [options]

  Appends one token at a time, each chosen from the model's prediction for the
  text so far. With the same seed the output is the same on every machine.

  --model DIR          a GPT-2-layout or Llama-family folder; default: the embedded model
  --max-new-tokens N   how many tokens to add (default 100)
  --greedy             always take the most likely token (same as --temperature 0)
  --temperature T      divide the logits by T before the softmax (default ${DEFAULT_SAMPLING.temperature}; 0 = greedy)
  --top-k K            draw only from the K most likely tokens (default ${DEFAULT_SAMPLING.topK}; 0 = all)
  --top-p P            draw only from the most likely tokens whose probabilities reach P (default ${DEFAULT_SAMPLING.topP}; 1 = all)
  --seed S             seed of the random draw (default ${DEFAULT_SAMPLING.seed})
  --stop-at-eot        stop when the model produces its end-of-text token (<|endoftext|> in GPT-2)
  --window N           tokens the model may read at once (default: the model's context)
  --json               print {"prompt", "tokens": [{"id", "text", "probability"}...], "text"}`,

  async run(args) {
    const { values, positionals } = parseFlags(args, {
      model: { type: 'string' },
      'max-new-tokens': { type: 'string' },
      greedy: { type: 'boolean' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      seed: { type: 'string' },
      'stop-at-eot': { type: 'boolean' },
      window: { type: 'string' },
      json: { type: 'boolean' },
    });
    const prompt = promptFrom(positionals);
    if (values.greedy && values.temperature !== undefined && Number(values.temperature) !== 0) {
      throw new UsageError('--greedy and --temperature contradict each other; give one of them');
    }
    const sampling = {
      temperature: values.greedy ? 0 : numberFlag(values.temperature, '--temperature', DEFAULT_SAMPLING.temperature, { min: 0, max: 100 }),
      topK: numberFlag(values['top-k'], '--top-k', DEFAULT_SAMPLING.topK, { min: 0, integer: true }),
      topP: numberFlag(values['top-p'], '--top-p', DEFAULT_SAMPLING.topP, { min: Number.MIN_VALUE, max: 1 }),
    };
    validateSampling(sampling);
    const maxNewTokens = numberFlag(values['max-new-tokens'], '--max-new-tokens', 100, { min: 0, max: 100_000, integer: true });
    const seed = numberFlag(values.seed, '--seed', DEFAULT_SAMPLING.seed, { min: 0, max: 2 ** 32 - 1, integer: true });

    const { model, tokenizer, context, vocabSize } = await loadAnyForCli(values.model);
    const window = numberFlag(values.window, '--window', context, { min: 1, max: context, integer: true });
    const { ids, dropped } = promptIds(tokenizer, prompt, window, vocabSize);
    if (values['stop-at-eot'] && tokenizer.endOfText === null) {
      throw new UsageError('--stop-at-eot: this model has no end-of-text token');
    }
    const steps = generate(model, ids, {
      ...sampling,
      maxNewTokens,
      seed,
      window,
      stopToken: values['stop-at-eot'] ? tokenizer.endOfText : null,
    });
    const produced: { id: number; text: string; probability: number }[] = [];
    if (!values.json) {
      if (dropped > 0) process.stderr.write(`(kept the last ${window} tokens of the prompt)\n`);
      process.stderr.write(`(${describeSampling(sampling)}, seed ${seed})\n`);
      process.stdout.write(prompt);
    }
    let emitted = 0;
    for (const step of steps) {
      produced.push({ id: step.id, text: pieceOf(tokenizer, step.id), probability: step.probability });
      if (!values.json) {
        // Decode everything so far and print only the new characters, so a character split
        // across tokens appears whole once its last byte arrives.
        const text = decodeAll(tokenizer, produced.map((p) => p.id));
        const complete = text.endsWith('\uFFFD') ? text.slice(0, text.lastIndexOf('\uFFFD')) : text;
        if (complete.length > emitted) {
          process.stdout.write(complete.slice(emitted));
          emitted = complete.length;
        }
      }
    }
    const text = decodeAll(tokenizer, produced.map((p) => p.id));
    if (values.json) console.log(JSON.stringify({ prompt, sampling: { ...sampling, seed }, tokens: produced, text }));
    else process.stdout.write(text.slice(emitted) + '\n');
    return 0;
  },
};

/**
 * The text of ids; an id past the tokenizer's vocabulary (a model whose rows are padded beyond
 * its tokenizer, as many are, can draw one) as pieceOf names it.
 */
function decodeAll(tokenizer: Tokenizer, ids: readonly number[]): string {
  let text = '';
  let run: number[] = [];
  for (const id of ids) {
    if (id < tokenizer.vocabSize) {
      run.push(id);
      continue;
    }
    text += tokenizer.decode(run) + pieceOf(tokenizer, id);
    run = [];
  }
  return text + tokenizer.decode(run);
}
