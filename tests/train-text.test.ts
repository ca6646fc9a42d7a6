// The parts of "Train your own" that need no browser: a training text's checks and entropy, the
// split that never cuts a character in two, the tab's settings and the command line they print,
// and the loss plot's geometry.

import { describe, expect, it } from 'vitest';
import { CharTokenizer } from '../src/tokenizer/index.ts';
import { splitPoint, splitText } from '../src/train/data.ts';
import { evaluationDue, formatDuration, StepClock } from '../src/train/progress.ts';
import { checkTrainingText, decodeTextFile, MAX_CHARACTERS, MAX_TEXT_LENGTH, minimumTextLength, summarizeText, TrainingTextError } from '../src/train/text.ts';
import { lossPlot, MAX_TRAIN_POINTS } from '../src/web/loss-plot.ts';
import { SettingsError, settingsFromForm, TAB_SETTINGS, trainCommandLine } from '../src/web/train-settings.ts';
import { promptFor } from '../src/web/train-panel.ts';

describe('a training text', () => {
  it('has the entropy of its character frequencies, in nats', () => {
    expect(summarizeText('abab').entropy).toBeCloseTo(Math.log(2), 12);
    expect(summarizeText('aaaa').entropy).toBe(0);
    // p = 1/2, 1/4, 1/4: −Σ p ln p = 1.5 ln 2.
    expect(summarizeText('aabc').entropy).toBeCloseTo(1.5 * Math.log(2), 12);
    // A character outside the basic plane counts once, as the char tokenizer reads it.
    const emoji = summarizeText('a😀a😀');
    expect(emoji.characters).toBe(4);
    expect(emoji.vocabulary).toBe('a😀');
  });

  it('is exactly long enough at the minimum: both splits hold one window of context + 1', () => {
    for (const blockSize of [8, 16, 64, 128]) {
      const minimum = minimumTextLength(blockSize);
      const text = 'abcdefghij'.repeat(minimum).slice(0, minimum);
      expect(() => checkTrainingText(text, blockSize)).not.toThrow();
      const split = splitText(text, (s) => CharTokenizer.fromText(text).encode(s));
      expect(Math.min(split.train.length, split.val.length)).toBeGreaterThanOrEqual(blockSize + 1);
      expect(() => checkTrainingText(text.slice(1), blockSize)).toThrow(`needs at least ${minimum.toLocaleString('en-US')}`);
    }
    expect(minimumTextLength(64)).toBe(648); // 648 − floor(0.9 × 648) = 65
  });

  it('is refused when empty, too long, or in too many characters, saying the limit and the count', () => {
    expect(() => checkTrainingText(' \n\t', 64)).toThrow(/no text to learn from yet/);
    expect(() => checkTrainingText('a'.repeat(MAX_TEXT_LENGTH + 1), 64)).toThrow(`at most ${MAX_TEXT_LENGTH.toLocaleString('en-US')}`);
    const characters = Array.from({ length: MAX_CHARACTERS + 1 }, (_, i) => String.fromCodePoint(0x100 + i)).join('');
    expect(() => checkTrainingText(characters.repeat(10), 64)).toThrow(`The text has ${MAX_CHARACTERS + 1} distinct characters; a model trained here has at most ${MAX_CHARACTERS}`);
    expect(() => checkTrainingText(characters.slice(0, MAX_CHARACTERS).repeat(10), 64)).not.toThrow();
  });

  it('from a file must be UTF-8 without NUL bytes; a byte-order mark is dropped', () => {
    expect(decodeTextFile(new TextEncoder().encode('héllo'), 'a.txt')).toBe('héllo');
    expect(decodeTextFile(Uint8Array.from([0xef, 0xbb, 0xbf, 0x68, 0x69]), 'bom.txt')).toBe('hi');
    expect(() => decodeTextFile(Uint8Array.from([0x68, 0, 0x69]), 'x.bin')).toThrow(new TrainingTextError('x.bin is not a text file (byte 1 is a NUL byte, which text never has). Pick a plain text file, such as a .txt in UTF-8.'));
    expect(() => decodeTextFile(Uint8Array.from([0x63, 0x61, 0x66, 0xe9]), 'latin1.txt')).toThrow(/latin1\.txt is not UTF-8 text/);
  });

  it('is split after 90% of its code units, but never inside a surrogate pair', () => {
    expect(splitPoint('abcdefghij')).toBe(9);
    // 'abcdefgh' + '😀' is 10 code units; 90% falls between the emoji's two halves.
    const text = 'abcdefgh😀';
    expect(splitPoint(text)).toBe(10);
    const tokenizer = CharTokenizer.fromText(text);
    expect(() => splitText(text, (s) => tokenizer.encode(s))).not.toThrow();
  });
});

describe('the tab’s settings', () => {
  it('default to TAB_SETTINGS and check each field', () => {
    expect(settingsFromForm({})).toEqual(TAB_SETTINGS);
    expect(() => settingsFromForm({ nLayer: '7' })).toThrow(new SettingsError('Blocks must be a whole number from 1 to 6, not “7”.'));
    expect(() => settingsFromForm({ lr: 'fast' })).toThrow(/Learning rate must be a number from/);
    expect(() => settingsFromForm({ nEmbd: '30', nHead: '4' })).toThrow(/must be divisible by the number of heads/);
  });

  it('follow the steps: warmup within the run, about twelve evaluations, the decay to a tenth', () => {
    const s = settingsFromForm({ maxIters: '24', lr: '0.01' });
    expect(s).toMatchObject({ maxIters: 24, warmupIters: 24, evalInterval: 2, lr: 0.01, minLr: 0.001 });
    expect(settingsFromForm({ maxIters: String(TAB_SETTINGS.maxIters) }).evalInterval).toBe(TAB_SETTINGS.evalInterval);
  });

  it('print the command line that trains the same run', () => {
    const line = trainCommandLine(TAB_SETTINGS, 'input.txt');
    expect(line).toMatch(/^npx animated-transformer train --data input\.txt --tokenizer char /);
    for (const [flag, value] of [['n-layer', TAB_SETTINGS.nLayer], ['max-iters', TAB_SETTINGS.maxIters], ['lr', TAB_SETTINGS.lr], ['eval-iters', TAB_SETTINGS.evalIters]]) {
      expect(line).toContain(`--${flag} ${value} `.trimEnd());
    }
  });
});

describe('the prompt after training', () => {
  const text = '\n  First Citizen: Before we proceed any further, hear me speak.\nAll: Speak.';
  const vocabulary = summarizeText(text).vocabulary;

  it('stays when the model can read it', () => {
    expect(promptFor('Speak, Citizen', vocabulary, text)).toBe('Speak, Citizen');
  });

  it('becomes the start of the text’s first line when it has a character the text lacks, cut after a word', () => {
    expect(promptFor('The robots will bring', vocabulary, text)).toBe('First Citizen: Before we proceed any');
    expect(promptFor('', vocabulary, 'ab ab\n')).toBe('ab ab');
  });
});

describe('progress', () => {
  it('evaluates at 0, every interval and at the end', () => {
    const s = { evalInterval: 5, maxIters: 12 };
    expect([...Array(13).keys()].filter((i) => evaluationDue(i, s))).toEqual([0, 5, 10, 12]);
  });

  it('smooths the step time into tokens per second and time left', () => {
    const clock = new StepClock(100);
    expect(formatDuration(clock.secondsLeft(5))).toBe('?');
    clock.record(2);
    expect(clock.tokensPerSecond).toBe(50);
    clock.record(12);
    expect(clock.secondsLeft(10)).toBeCloseTo(30, 10);
    expect(formatDuration(187)).toBe('3m07s');
  });
});

describe('the loss plot', () => {
  const log = { loss: [4, 3, 2.5, 2.2], evaluations: [{ iter: 0, train: 4.1, val: 4.2 }, { iter: 4, train: 2.1, val: 2.3 }] };

  it('puts each logged loss at its step, read back through the axes', () => {
    const plot = lossPlot(log, { unit: 'character', steps: 8, entropy: 3.1 });
    expect(plot.lossRange).toEqual([2, 5]);
    const { area } = plot;
    const stepAt = (x: number) => ((x - area.left) / (area.right - area.left)) * 8;
    const lossAt = (y: number) => 2 + ((area.bottom - y) / (area.bottom - area.top)) * 3;
    plot.train.forEach((p, i) => {
      expect(p).toMatchObject({ step: i + 1, loss: log.loss[i] });
      expect(stepAt(p.x)).toBeCloseTo(i + 1, 9);
      expect(lossAt(p.y)).toBeCloseTo(log.loss[i], 9);
    });
    expect(plot.val.map((p) => [p.step, p.loss])).toEqual([[0, 4.2], [4, 2.3]]);
    expect(lossAt(plot.entropy!.y)).toBeCloseTo(3.1, 9);
  });

  it('draws a long run’s every k-th step and its last, each a logged value', () => {
    const loss = Array.from({ length: 4 * MAX_TRAIN_POINTS + 3 }, (_, i) => 3 - i / 10_000);
    const plot = lossPlot({ loss, evaluations: [] }, { unit: 'character' });
    expect(plot.train.length).toBeLessThanOrEqual(MAX_TRAIN_POINTS + 1);
    expect(plot.train.at(-1)!.step).toBe(loss.length);
    for (const p of plot.train) expect(p.loss).toBe(loss[p.step - 1]);
  });
});
