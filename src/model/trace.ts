// The trace: every intermediate tensor of one forward pass, by the names the registry of named
// values declares (registry.ts, traceTable). Plain inference records nothing.

import type { TraceName } from './registry.ts';
import type { Tensor } from './tensor.ts';

export type Trace = Map<TraceName, Tensor>;

/** Looks a tensor up by name, with a message that names what is missing. */
export function traced(trace: Trace, name: TraceName): Tensor {
  const t = trace.get(name);
  if (!t) throw new Error(`trace has no tensor named "${name}"`);
  return t;
}
