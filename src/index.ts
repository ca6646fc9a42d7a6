// The engine as a library (`import { … } from 'animated-transformer'`), for Node 20+ and
// browsers: load a model from its files' bytes, tokenize, run with a trace, explain a prompt
// the way the scenes read it, generate and sample. Folders on disk: 'animated-transformer/node'.
//
//   const { config, weights, tokenizer } = await loadModelFromUrls('models/default/');
//   const model = new GPT(config, weights, bestKernels());
//   const trace = model.trace(tokenizer.encode('The robots'));   // every named tensor

import { modelFromFiles, type LoadedModel } from './model/checkpoint.ts';
import { gpt2Tokenizer, loadTokenizer, type Tokenizer } from './tokenizer/index.ts';
import { parseTokenizerDescription } from './model/tokenizer-file.ts';

export { GPT, KVCache, type ForwardOptions, type ForwardResult } from './model/gpt.ts';
export { type GPTConfig, ModelError, configFromHuggingFace, parameterCount } from './model/config.ts';
export { modelFromFiles, CONFIG_FILE, WEIGHTS_FILE, type LoadedModel } from './model/checkpoint.ts';
export type { GPTWeights } from './model/weights.ts';
export { type Trace, traced } from './model/trace.ts';
export { traceTable, block, type TraceName, type ValueName } from './model/registry.ts';
export type { Tensor } from './model/tensor.ts';
export { explain, InputError, DEFAULT_PROMPT, DEFAULT_SAMPLING, type ExplainOptions } from './model/explain.ts';
export { generate, type GenerateOptions, type GeneratedToken } from './model/generate.ts';
export { argmax, mostLikely, samplingDistribution, SeededRandom, drawFrom, topEntries, type SamplingOptions } from './model/sampling.ts';
export { bestKernels, plainKernels, type Kernels } from './kernels/index.ts';
export { gpt2Tokenizer, CharTokenizer, TokenizerError, type Tokenizer } from './tokenizer/index.ts';
export { displayText } from './tokenizer/pieces.ts';
export type { Explanation, GenerationStep, SamplingSettings, TokenPiece } from './model/explanation.ts';
export { SCENES } from './scenes/index.ts';

/** A model and the tokenizer it reads with. */
export interface LoadedModelWithTokenizer extends LoadedModel {
  tokenizer: Tokenizer;
}

/**
 * A model from its files' contents: config.json's text, model.safetensors' bytes and, when the
 * folder has one, animated-transformer.json's text (which tokenizer; GPT-2's without it).
 */
export function loadModelFromBytes(configText: string, weights: Uint8Array, tokenizerText: string | null = null, where = 'model'): LoadedModelWithTokenizer {
  const loaded = modelFromFiles(configText, weights, where);
  const tokenizer = tokenizerText === null ? gpt2Tokenizer() : loadTokenizer(parseTokenizerDescription(tokenizerText, where));
  return { ...loaded, tokenizer };
}

/** A model folder served over HTTP (`base` ends with "/"): fetches its files, then loadModelFromBytes. */
export async function loadModelFromUrls(base: string | URL): Promise<LoadedModelWithTokenizer> {
  const file = (name: string) => new URL(name, base);
  const get = async (name: string, optional = false): Promise<Response | null> => {
    const response = await fetch(file(name));
    if (response.ok) return response;
    if (optional && response.status === 404) return null;
    throw new Error(`cannot fetch ${file(name).href}: HTTP ${response.status}; is it a model folder (config.json + model.safetensors)?`);
  };
  const [config, weights, meta] = await Promise.all([get('config.json'), get('model.safetensors'), get('animated-transformer.json', true)]);
  return loadModelFromBytes(await config!.text(), new Uint8Array(await weights!.arrayBuffer()), meta ? await meta.text() : null, String(base));
}
