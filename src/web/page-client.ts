// The article page's model worker. main.ts imports this module first, so the worker starts
// (and loads and builds GPT-2's tokenizer tables) while the rest of the page's modules are
// still being evaluated, instead of after them.

import { ModelClient } from './model-client.ts';

export const client = new ModelClient();
