// The settings of a training run in the tab: its defaults (chosen with
// scripts/train/tab-defaults.ts; the reasons are in the page's prose and the README), and the
// few the reader may change, each with the range the tab accepts (smaller than the command
// line's: a run's activations must fit in a tab's memory).

import { DEFAULT_SETTINGS, type TrainSettings } from '../train/trainer.ts';
import { formatCount } from '../render/frame.ts';

/** The defaults: the command line's, with a smaller, faster model and a run of two minutes. */
export const TAB_SETTINGS: TrainSettings = {
  ...DEFAULT_SETTINGS,
  nLayer: 2,
  nHead: 4,
  nEmbd: 64,
  blockSize: 64,
  batchSize: 16,
  maxIters: 720,
  lr: 2e-3,
  minLr: 2e-4,
  warmupIters: 50,
  evalInterval: 60,
  evalIters: 10,
};

/** A setting the reader may change: its form field's id, label and accepted range. */
export interface SettingField {
  key: keyof TrainSettings;
  /** The command line's flag for it (train --FLAG), for the command the panel prints. */
  flag: string;
  label: string;
  min: number;
  max: number;
  /** False for a number with a fraction (the learning rate). */
  integer: boolean;
}

export const SETTING_FIELDS: readonly SettingField[] = [
  { key: 'maxIters', flag: 'max-iters', label: 'Steps', min: 1, max: 100_000, integer: true },
  { key: 'nLayer', flag: 'n-layer', label: 'Blocks', min: 1, max: 6, integer: true },
  { key: 'nHead', flag: 'n-head', label: 'Heads', min: 1, max: 8, integer: true },
  { key: 'nEmbd', flag: 'n-embd', label: 'Width C', min: 8, max: 256, integer: true },
  { key: 'blockSize', flag: 'block-size', label: 'Context', min: 8, max: 128, integer: true },
  { key: 'batchSize', flag: 'batch-size', label: 'Batch', min: 1, max: 32, integer: true },
  { key: 'lr', flag: 'lr', label: 'Learning rate', min: 1e-5, max: 1e-1, integer: false },
];

export class SettingsError extends Error {
  override name = 'SettingsError';
}


/**
 * The run's settings from the form's values (field key → the text typed), checked: each in its
 * range, the width divisible by the heads. Unchanged defaults follow the steps: the warmup is at
 * most the run, evaluations come about twelve times a run, and the decay ends at a tenth of the peak.
 */
export function settingsFromForm(values: Partial<Record<keyof TrainSettings, string>>): TrainSettings {
  const s: TrainSettings = { ...TAB_SETTINGS };
  for (const field of SETTING_FIELDS) {
    const text = values[field.key]?.trim();
    if (text === undefined || text === '') continue;
    const n = Number(text);
    const range = `from ${formatCount(field.min)} to ${formatCount(field.max)}`;
    if (!Number.isFinite(n) || n < field.min || n > field.max || (field.integer && !Number.isInteger(n))) {
      throw new SettingsError(`${field.label} must be ${field.integer ? 'a whole number' : 'a number'} ${range}, not “${text}”.`);
    }
    s[field.key] = n;
  }
  if (s.nEmbd % s.nHead !== 0) throw new SettingsError(`The width C (${s.nEmbd}) must be divisible by the number of heads (${s.nHead}): each head takes C / heads columns.`);
  s.minLr = s.lr / 10;
  s.warmupIters = Math.min(TAB_SETTINGS.warmupIters, s.maxIters);
  s.evalInterval = Math.max(1, Math.round(s.maxIters / 12));
  return s;
}

/** The command line that trains the same run: `train --tokenizer char` with these settings. */
export function trainCommandLine(s: TrainSettings, dataFile = 'input.txt'): string {
  const flags = [
    ...SETTING_FIELDS.map((f) => `--${f.flag} ${s[f.key]}`),
    `--min-lr ${s.minLr}`, `--warmup-iters ${s.warmupIters}`, `--eval-interval ${s.evalInterval}`, `--eval-iters ${s.evalIters}`,
  ];
  return `npx animated-transformer train --data ${dataFile} --tokenizer char ${flags.join(' ')}`;
}
