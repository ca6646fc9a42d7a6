// `trace PROMPT | --ids 1,2,3`: every intermediate tensor of one forward pass.
// Without --json it prints a table of names, shapes and a glimpse of the values.

import { configToHuggingFace } from '../../model/config.ts';
import { modelTraceTable } from '../../model/registry.ts';
import { architectureOf } from '../../model/language-model.ts';
import { loadAnyForCli, promptIds } from '../load.ts';
import { parseFlags, UsageError, type CommandSpec } from '../usage.ts';

export const traceCommand: CommandSpec = {
  name: 'trace',
  summary: 'record every intermediate tensor of one forward pass',
  usage: `animated-transformer trace PROMPT [--model DIR] [--only NAME,...] [--json]
animated-transformer trace --ids 1,2,3 [--model DIR] [--only NAME,...] [--json]

  Runs one forward pass and prints every tensor it computed, named as in
  the repository's docs/ARCHITECTURE.md (embed.token, h.0.attn.q, ..., logits, probs).

  --ids LIST         token ids instead of a prompt, comma-separated
  --only NAME,...    only these tensors (exact names)
  --json             print {"config", "tokens": [{"id", "text"}], "tensors": {NAME: {"shape", "data"}}}`,

  async run(args) {
    const { values, positionals } = parseFlags(args, {
      model: { type: 'string' },
      ids: { type: 'string' },
      only: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (values.ids !== undefined && positionals.length > 0) throw new UsageError('give either PROMPT or --ids, not both');
    if (values.ids === undefined && positionals.length === 0) throw new UsageError('missing PROMPT (or --ids 1,2,3)');
    const loaded = await loadAnyForCli(values.model);
    const { model, tokenizer, context: nPositions, vocabSize } = loaded;

    let ids: number[];
    if (values.ids !== undefined) {
      ids = values.ids.split(',').map((s) => {
        const n = Number(s.trim());
        if (s.trim() === '' || !Number.isInteger(n) || n < 0 || n >= vocabSize) {
          throw new UsageError(`--ids: "${s}" is not a token id from 0 to ${vocabSize - 1}`);
        }
        return n;
      });
      if (ids.length > nPositions) throw new UsageError(`--ids: ${ids.length} ids exceed the model's context of ${nPositions}`);
    } else {
      ids = promptIds(tokenizer, positionals.join(' '), nPositions, vocabSize).ids;
    }

    const table = modelTraceTable(architectureOf(model), ids.length);
    let names = table.map((e) => e.name);
    if (values.only !== undefined) {
      const wanted = values.only.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = wanted.filter((n) => !names.some((known) => known === n));
      if (unknown.length > 0) {
        throw new UsageError(`--only: no tensor named ${unknown.map((u) => `"${u}"`).join(', ')}; names look like embed.sum, h.0.attn.q, ln_f, logits`);
      }
      names = wanted as typeof names; // every one is known, checked above
    }
    const trace = model.trace(ids);
    const tokens = ids.map((id) => ({ id, text: tokenizer.piece(id) }));

    if (values.json) {
      // Written piece by piece: GPT-2's probs alone are T × 50,257 numbers.
      const out = process.stdout;
      out.write(`{"config":${JSON.stringify(loaded.family === 'llama' ? loaded.model.config : configToHuggingFace(loaded.model.config))},"tokens":${JSON.stringify(tokens)},"tensors":{`);
      names.forEach((name, i) => {
        const t = trace.get(name)!;
        out.write(`${i ? ',' : ''}${JSON.stringify(name)}:{"shape":${JSON.stringify(t.shape)},"data":[`);
        const chunk = 65536;
        for (let s = 0; s < t.data.length; s += chunk) {
          out.write((s ? ',' : '') + Array.from(t.data.subarray(s, s + chunk), jsonNumber).join(','));
        }
        out.write(']}');
      });
      out.write('}}\n');
      return 0;
    }
    console.log(`tokens: ${tokens.map((t) => `${t.text}(${t.id})`).join(' ')}`);
    for (const name of names) {
      const t = trace.get(name)!;
      const glimpse = Array.from(t.data.subarray(0, 4), (v) => v.toFixed(4)).join(', ');
      console.log(`${name.padEnd(20)} ${t.shape.join(' × ').padEnd(16)} [${glimpse}${t.data.length > 4 ? ', …' : ''}]`);
    }
    return 0;
  },
};

/** JSON has no −∞: the masked scores never appear (scores are traced before the mask). */
function jsonNumber(v: number): string {
  return Number.isFinite(v) ? String(v) : 'null';
}
