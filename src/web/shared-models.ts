// One Web Worker and one loaded model per model folder, shared by every <transformer-scene> on a
// page that names that folder (element.ts), and one explanation per prompt, block and head,
// shared by every element that asks for it.

import type { Explanation } from '../model/explanation.ts';
import { ModelClient, Superseded } from './model-client.ts';
import type { ExplainRequest, LoadedModel, ModelSource } from './worker-protocol.ts';
import type { FormulaSource } from './inspection.ts';

/** Explanations kept per model, newest last, for elements that ask for one again (a scene attribute changed). */
const KEPT_EXPLANATIONS = 8;

interface Asked {
  answer: Promise<Explanation>;
  /** One per element that asked: whether it still wants the answer. */
  wanted: (() => boolean)[];
}

class SharedModel {
  private readonly client = new ModelClient();
  readonly loaded: Promise<LoadedModel>;
  private readonly asked = new Map<string, Asked>();
  /**
   * Requests from all elements, one after another. The client keeps only the newest waiting
   * request (right for one prompt box), which would drop one element's request for another's.
   */
  private queue: Promise<unknown>;

  constructor(source: ModelSource) {
    this.loaded = this.client.load(source, { progress: () => {}, plan: () => {} }).done;
    this.queue = this.loaded.catch(() => undefined);
  }

  /**
   * The explanation for `request`. When its turn comes and no element that asked for it still
   * wants it (each has since asked for another), it rejects with Superseded instead of running.
   */
  explain(request: ExplainRequest, wanted: () => boolean): Promise<Explanation> {
    const key = JSON.stringify(request);
    const known = this.asked.get(key);
    if (known) {
      known.wanted.push(wanted);
      return known.answer;
    }
    const wantedBy = [wanted];
    const answer = this.queue.then(() => {
      if (!wantedBy.some((w) => w())) throw new Superseded('every element that asked has asked for another');
      return this.client.explain(request);
    });
    this.queue = answer.catch(() => undefined);
    answer.catch(() => {
      if (this.asked.get(key)?.answer === answer) this.asked.delete(key);
    });
    this.asked.set(key, { answer, wanted: wantedBy });
    const oldest = this.asked.keys().next().value;
    if (this.asked.size > KEPT_EXPLANATIONS && oldest !== undefined) this.asked.delete(oldest);
    return answer;
  }

  /** The formula of a value of one of this model's explanations (inspection), from its worker. */
  readonly formula: FormulaSource = (query, explanation) => this.client.formula(query, explanation);

  close(): void {
    this.client.close();
  }
}

const models = new Map<string, SharedModel>();

/** The shared model for `key` (a folder's URL), loaded from `source` by the first element that asks. */
export function sharedModel(key: string, source: ModelSource): SharedModel {
  let model = models.get(key);
  if (!model) {
    const created = new SharedModel(source);
    model = created;
    models.set(key, created);
    // A folder that failed to load is not kept: an element naming it again tries again.
    created.loaded.catch(() => {
      if (models.get(key) === created) models.delete(key);
      created.close();
    });
  }
  return model;
}
