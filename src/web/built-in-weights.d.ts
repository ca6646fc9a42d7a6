// The module vite.config.ts (compactBuiltInWeights) makes for the built-in model's weights.
declare module 'virtual:built-in-weights' {
  /** Where the built-in model's weights are served, in the shared-row layout. */
  const url: string;
  export default url;
}
