// `lens PROMPT`: the logit lens at one position, what the model would predict at each depth.

import { pieceOf } from '../../model/explain.ts';
import { lensAt } from '../../model/lens.ts';
import { loadAnyForCli, promptIds } from '../load.ts';
import { numberFlag, parseFlags, promptFrom, UsageError, type CommandSpec } from '../usage.ts';

export const lensCommand: CommandSpec = {
  name: 'lens',
  summary: 'what the model would predict after each block (the logit lens)',
  usage: `animated-transformer lens PROMPT [--model DIR] [--top N] [--position I] [--json]

  Reads the residual stream after the embeddings (embed.sum; embed.token in a
  Llama-family model, which has no position table), after each block's attention
  (h.L.resid_1) and after each block (h.L.out), puts each through the model's
  final norm (GPT-2's layer norm ln_f, or RMSNorm) and its output head, and lists
  the N most likely tokens at each depth. The last line is the model's own
  prediction.

  --model DIR     a GPT-2-layout or Llama-family folder (config.json + weights); default: the embedded model
  --top N         how many tokens per stage (default 5)
  --position I    which token to read, from 0 (default: the last)
  --json          print {"tokens": [{"id", "text"}], "position", "stages": [{"after", "top": [{"id", "text", "prob"}]}]}`,

  async run(args) {
    const { values, positionals } = parseFlags(args, {
      model: { type: 'string' },
      top: { type: 'string' },
      position: { type: 'string' },
      json: { type: 'boolean' },
    });
    const prompt = promptFrom(positionals);
    const top = numberFlag(values.top, '--top', 5, { min: 1, max: 1000, integer: true });
    const wanted = values.position === undefined ? undefined : numberFlag(values.position, '--position', 0, { min: 0, integer: true });
    const { model, tokenizer, context, vocabSize } = await loadAnyForCli(values.model);
    const { ids } = promptIds(tokenizer, prompt, context, vocabSize);
    const T = ids.length;
    if (wanted !== undefined && wanted >= T) {
      throw new UsageError(`--position must be from 0 to ${T - 1} (the prompt has ${T} tokens), got "${values.position}"`);
    }
    const position = wanted ?? T - 1;
    const lens = lensAt(model, model.trace(ids), position, top);
    const stages = lens.stages.map((after, s) => ({
      after,
      top: Array.from(lens.ids.subarray(s * lens.top, (s + 1) * lens.top), (id, k) => ({ id, text: pieceOf(tokenizer, id), prob: lens.probs[s * lens.top + k] })),
    }));
    const tokens = ids.map((id) => ({ id, text: pieceOf(tokenizer, id) }));
    if (values.json) {
      console.log(JSON.stringify({ tokens, position, stages }));
      return 0;
    }
    console.log(`tokens: ${tokens.map((t) => `${t.text}(${t.id})`).join(' ')}`);
    console.log(`after ${tokens[position].text} (position ${position}), the most likely next tokens at each depth:`);
    const width = Math.max(...stages.map((s) => s.after.length));
    for (const s of stages) console.log(`${s.after.padEnd(width)}  ${s.top.map((e) => `${e.text} ${(e.prob * 100).toFixed(2)}%`).join(', ')}`);
    return 0;
  },
};
