// The train and eval commands, run in-process on a small temporary text: a full run, Ctrl-C
// and --resume giving the same result as a straight run, eval's numbers against the inference
// model, and a clear message for each kind of bad input.

import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { evalCommand } from '../src/cli/commands/eval.ts';
import { trainCommand } from '../src/cli/commands/train.ts';
import { CommandError, UsageError } from '../src/cli/usage.ts';
import { loadModelDir } from '../src/model/checkpoint-node.ts';
import { parseSafetensors } from '../src/model/safetensors.ts';
import { GPT } from '../src/model/gpt.ts';
import { Llama } from '../src/model/llama.ts';
import { loadFolderTokenizer, loadLlamaDir } from '../src/model/llama-checkpoint-node.ts';
import { splitText } from '../src/train/data.ts';

const dir = mkdtempSync(join(tmpdir(), 'train-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const text = 'ROMEO:\nBut soft, what light through yonder window breaks?\nIt is the east, and Juliet is the sun.\n'.repeat(6);
const data = join(dir, 'text.txt');
writeFileSync(data, text);
const tiny = ['--n-layer', '1', '--n-head', '2', '--n-embd', '8', '--block-size', '8', '--batch-size', '2', '--eval-iters', '1', '--seed', '3'];

/** Runs a command with stderr captured; `onLine` sees each progress line. */
async function quiet(run: () => Promise<number>, onLine: (line: string) => void = () => {}): Promise<{ code: number; err: string }> {
  let err = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    const line = String(chunk);
    err += line;
    onLine(line);
    return true;
  });
  const code = await run();
  vi.restoreAllMocks();
  return { code, err };
}

describe('train command', () => {
  it('trains, keeps the best model, and prints progress', async () => {
    const out = join(dir, 'run');
    const { code, err } = await quiet(() => trainCommand.run(['--data', data, '--out', out, ...tiny, '--max-iters', '6', '--eval-interval', '3']));
    expect(code).toBe(0);
    expect(err).toMatch(/step 6\/6 \| loss \d+\.\d+ \| lr [\d.e+-]+ \| \d+ tok\/s \| 0s left/);
    expect(err).toMatch(/eval step 6: train loss \d+\.\d+, val loss \d+\.\d+/);
    const loaded = await loadModelDir(out);
    expect(loaded.tokenizer.kind).toBe('char');
    expect(loaded.config.nPositions).toBe(8);
    expect(existsSync(join(out, 'training-state.bin'))).toBe(true);
  });

  it('after Ctrl-C, --resume ends exactly where a straight run ends (dropout, label smoothing and dtype kept)', async () => {
    const args = [...tiny, '--max-iters', '6', '--eval-interval', '2', '--dtype', 'F16', '--dropout', '0.1', '--label-smoothing', '0.1'];
    const straight = join(dir, 'straight');
    await quiet(() => trainCommand.run(['--data', data, '--out', straight, ...args]));
    const cut = join(dir, 'cut');
    const first = await quiet(
      () => trainCommand.run(['--data', data, '--out', cut, ...args]),
      (line) => {
        if (line.includes('step 3/6')) process.emit('SIGINT');
      },
    );
    expect(first.code).toBe(0);
    expect(first.err).toMatch(/stopped at step 3/);
    const second = await quiet(() => trainCommand.run(['--data', data, '--out', cut, '--resume']));
    expect(second.code).toBe(0);
    expect(readFileSync(join(cut, 'training-state.bin')).equals(readFileSync(join(straight, 'training-state.bin')))).toBe(true);
    expect(readFileSync(join(cut, 'model.safetensors')).equals(readFileSync(join(straight, 'model.safetensors')))).toBe(true);
    expect(JSON.parse(readFileSync(join(cut, 'training-log.json'), 'utf8')).settings.labelSmoothing).toBe(0.1);
    expect(parseSafetensors(new Uint8Array(readFileSync(join(cut, 'model.safetensors')))).entries.get('wte.weight')!.dtype).toBe('F16');
    // And smoothing is not a no-op: the same run without it ends elsewhere.
    const plain = join(dir, 'plain');
    await quiet(() => trainCommand.run(['--data', data, '--out', plain, ...args.slice(0, -2)]));
    expect(readFileSync(join(plain, 'model.safetensors')).equals(readFileSync(join(straight, 'model.safetensors')))).toBe(false);
  });

  it('resumes a state saved before the dtype was kept with the dtype of the run\'s saved model', async () => {
    const out = join(dir, 'older-state');
    const stopAt3 = (line: string) => {
      if (line.includes('step 3/6')) process.emit('SIGINT');
    };
    await quiet(() => trainCommand.run(['--data', data, '--out', out, ...tiny, '--max-iters', '6', '--eval-interval', '2', '--dtype', 'F16']), stopAt3);
    // Blank the dtype out of the state's JSON (spaces keep every offset), as an older trainer wrote it.
    const state = readFileSync(join(out, 'training-state.bin'));
    const text = state.toString('latin1');
    const field = ',"dtype":"F16"';
    expect(text).toContain(field);
    writeFileSync(join(out, 'training-state.bin'), Buffer.from(text.replace(field, ' '.repeat(field.length)), 'latin1'));
    expect((await quiet(() => trainCommand.run(['--data', data, '--out', out, '--resume']))).code).toBe(0);
    const dtypes = new Set([...parseSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors')))).entries.values()].map((e) => e.dtype));
    expect(dtypes).toEqual(new Set(['F16']));
  });

  it.each([
    [['--data', join(dir, 'missing.txt')], CommandError, /no such file/],
    [['--data', dir], CommandError, /is not a file/],
    [['--out', join(dir, 'x')], UsageError, /--data FILE is required/],
    [['--data', data, '--tokenizer', 'bpe'], UsageError, /--tokenizer must be gpt2 or char/],
    [['--data', data, '--n-embd', '10', '--n-head', '3'], UsageError, /divisible/],
    [['--data', data, '--lr', '1e-4', '--min-lr', '1e-3'], UsageError, /--min-lr .* is larger than --lr/],
    [['--data', data, '--warmup-iters', '50', '--max-iters', '10'], UsageError, /--warmup-iters .* is longer than --max-iters/],
    [['--data', data, '--block-size', '2000'], CommandError, /one sequence needs 2001 .* use a longer text or a smaller --block-size/],
    [['--data', data, '--dropout', '1'], UsageError, /--dropout must be a number from 0 to 0.99/],
    [['--data', data, '--label-smoothing', '1'], UsageError, /--label-smoothing must be a number from 0 to 0.99/],
    [['--data', data, '--out', join(dir, 'none'), '--resume'], CommandError, /no training state to resume from/],
    [['--data', data, '--resume', '--n-layer', '2'], UsageError, /--resume continues the saved run .* drop --n-layer/],
    [['--data', data, '--resume', '--dtype', 'F16'], UsageError, /--resume continues the saved run .* drop --dtype/],
  ])('rejects %j', async (args, kind, message) => {
    const run = trainCommand.run(args);
    await expect(run).rejects.toThrow(kind);
    await expect(run).rejects.toThrow(message);
  });

  it('rejects an empty file and a text too short for one batch', async () => {
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, ' \n');
    await expect(trainCommand.run(['--data', empty])).rejects.toThrow(/the file is empty/);
    const short = join(dir, 'short.txt');
    writeFileSync(short, 'To be, or not to be.');
    await expect(trainCommand.run(['--data', short, '--block-size', '8'])).rejects.toThrow(/validation split has 2 tokens but one sequence needs 9/);
  });
});

describe('eval command', () => {
  it('prints the validation loss and perplexity the inference model gives', async () => {
    const out = join(dir, 'gpt2-run');
    // GPT-2 tokens: most of the 50,257 rows are absent from this text and stay identical,
    // which eval exploits; the check below recomputes the loss with the full inference model.
    await quiet(() => trainCommand.run(['--data', data, '--out', out, '--tokenizer', 'gpt2', ...tiny, '--max-iters', '2', '--eval-interval', '2']));
    const logs: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((s: string) => logs.push(s));
    expect(await evalCommand.run(['--data', data, '--model', out, '--json'])).toBe(0);
    const result = JSON.parse(logs[0]) as { split: string; tokens: number; loss: number; perplexity: number };
    expect(result.split).toBe('val');
    expect(result.perplexity).toBeCloseTo(Math.exp(result.loss), 6);

    const loaded = await loadModelDir(out);
    const gpt = new GPT(loaded.config, loaded.weights);
    const val = splitText(text, (s) => loaded.tokenizer.encode(s)).val;
    const T = 8;
    let sum = 0;
    let count = 0;
    for (let start = 0; start + T + 1 <= val.length; start += T) {
      const logits = gpt.forward(Array.from(val.subarray(start, start + T))).logits;
      const V = loaded.config.vocabSize;
      for (let t = 0; t < T; t++) {
        const row = logits.subarray(t * V, (t + 1) * V);
        let max = -Infinity;
        for (const v of row) max = Math.max(max, v);
        let s = 0;
        for (const v of row) s += Math.exp(v - max);
        sum += max + Math.log(s) - row[val[start + t + 1]];
        count++;
      }
    }
    expect(result.tokens).toBe(count);
    expect(result.loss).toBeCloseTo(sum / count, 5);
  });

  it('needs --data', async () => {
    await expect(evalCommand.run(['--model', dir])).rejects.toThrow(/--data FILE is required/);
  });
  it('scores a Llama-family folder through its own forward pass, as its trace gives the probabilities', async () => {
    const folder = fileURLToPath(new URL('./fixtures/llama-smol-gqa', import.meta.url));
    const logs: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((s: string) => logs.push(s));
    expect(await evalCommand.run(['--data', data, '--model', folder, '--block-size', '8', '--json'])).toBe(0);
    const result = JSON.parse(logs[0]) as { tokens: number; loss: number; perplexity: number };

    // The reference: −log of the traced probabilities (the model's own softmax), window by window.
    const { config, weights } = await loadLlamaDir(folder);
    const llama = new Llama(config, weights);
    const tokenizer = await loadFolderTokenizer(folder);
    const val = splitText(text, (s) => tokenizer.encode(s)).val;
    const V = config.vocabSize;
    let sum = 0;
    let count = 0;
    for (let start = 0; start + 8 + 1 <= val.length; start += 8) {
      const probs = llama.trace(Array.from(val.subarray(start, start + 8))).get('probs')!.data;
      for (let t = 0; t < 8; t++, count++) sum -= Math.log(probs[t * V + val[start + t + 1]]);
    }
    expect(count).toBeGreaterThan(8);
    expect(result.tokens).toBe(count);
    expect(result.loss).toBeCloseTo(sum / count, 4);
  });

});
