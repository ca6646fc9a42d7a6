// `tokenize TEXT`: the text's tokens, each with its id and its display piece.

import { loadTokenizerFor } from '../load.ts';
import { parseFlags, promptFrom, type CommandSpec } from '../usage.ts';

export const tokenizeCommand: CommandSpec = {
  name: 'tokenize',
  summary: 'split text into tokens and show their ids',
  usage: `animated-transformer tokenize TEXT [--model DIR] [--json]

  Splits TEXT into the model's tokens and prints each token's id and piece.
  A leading space shows as ␣, a newline as ↵, and a piece that is only part
  of a UTF-8 character as its bytes, e.g. <0xE2>.

  --model DIR   use the tokenizer of this model folder (default: the embedded model)
  --json        print [{"id": N, "text": "..."}...]`,

  async run(args) {
    const { values, positionals } = parseFlags(args, { model: { type: 'string' }, json: { type: 'boolean' } });
    const text = promptFrom(positionals, 'TEXT');
    const tokenizer = await loadTokenizerFor(values.model);
    const ids = tokenizer.encode(text);
    if (values.json) {
      console.log(JSON.stringify(ids.map((id) => ({ id, text: tokenizer.piece(id) }))));
    } else {
      console.log(`${ids.length} token${ids.length === 1 ? '' : 's'}`);
      for (const id of ids) console.log(`${String(id).padStart(7)}  ${tokenizer.piece(id)}`);
    }
    return 0;
  },
};
