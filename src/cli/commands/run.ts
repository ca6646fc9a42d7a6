// `run PROMPT`: one forward pass, then the most likely next tokens with their probabilities.

import { softmaxForward } from '../../model/ops.ts';
import { topEntries } from '../../model/sampling.ts';
import { loadAnyForCli, promptIds } from '../load.ts';
import { numberFlag, parseFlags, promptFrom, type CommandSpec } from '../usage.ts';
import { pieceOf } from '../../model/explain.ts';

export const runCommand: CommandSpec = {
  name: 'run',
  summary: "run the model once and show the most likely next tokens",
  usage: `animated-transformer run PROMPT [--model DIR] [--top N] [--json]

  Runs one forward pass over PROMPT and prints its tokens with their ids, then the
  N most likely next tokens with their probabilities (softmax at temperature 1
  over the whole vocabulary).

  --model DIR   a GPT-2-layout or Llama-family folder (config.json + weights); default: the embedded model
  --top N       how many candidates to list (default 10)
  --json        print {"tokens": [...], "next": [{"id", "text", "probability"}...]}`,

  async run(args) {
    const { values, positionals } = parseFlags(args, {
      model: { type: 'string' },
      top: { type: 'string' },
      json: { type: 'boolean' },
    });
    const prompt = promptFrom(positionals);
    const top = numberFlag(values.top, '--top', 10, { min: 1, max: 1000, integer: true });
    const { model, tokenizer, context, vocabSize: V } = await loadAnyForCli(values.model);
    const { ids, dropped } = promptIds(tokenizer, prompt, context, V);
    const { logits } = model.forward(ids, { lastOnly: true });
    const probs = logits.slice(0, V);
    softmaxForward(probs);
    const next = topEntries(probs, Math.min(top, V)).map((e) => ({ id: e.id, text: pieceOf(tokenizer, e.id), probability: e.probability }));
    const tokens = ids.map((id) => ({ id, text: tokenizer.piece(id) }));
    if (values.json) {
      console.log(JSON.stringify({ tokens, dropped, next }));
      return 0;
    }
    if (dropped > 0) console.log(`(the prompt was longer than the context: the first ${dropped} tokens were dropped)`);
    console.log(`Tokens (${tokens.length}):`);
    for (const t of tokens) console.log(`${String(t.id).padStart(7)}  ${t.text}`);
    console.log(`\nMost likely next tokens:`);
    for (const n of next) console.log(`${(n.probability * 100).toFixed(2).padStart(7)}%  ${String(n.id).padStart(6)}  ${n.text}`);
    return 0;
  },
};

