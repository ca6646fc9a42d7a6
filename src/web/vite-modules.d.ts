// Modules Vite makes when it serves or builds the page and the element.

// vite.config.ts (builtInModel): the built-in model's files.
declare module 'virtual:built-in-model' {
  /** Where the built-in model's config.json is served. */
  export const configUrl: string;
  /** Where its weights are served, in the shared-row layout. */
  export const weightsUrl: string;
  /** Where its animated-transformer.json (which tokenizer) is served. */
  export const metaUrl: string;
}

// The model's worker bundled as a script of its own: its URL (model-client.ts).
declare module '*?worker&url' {
  const url: string;
  export default url;
}
