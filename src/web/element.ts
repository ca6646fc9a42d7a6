// <transformer-scene> for any page: the entry of `animated-transformer/element` (built by
// vite.element.config.ts into lib/element/transformer-scene.js). Loading this module registers
// the element; each one runs the model on its own attributes, in a Web Worker shared with every
// element naming the same model (shared-models.ts), and plays like a media element (player.ts).
//
//   <script type="module" src="lib/element/transformer-scene.js"></script>
//   <transformer-scene scene="attention-scores" prompt="The robots will bring" autoplay loop></transformer-scene>
//
// Attributes: scene, prompt, compare (a second prompt, for the scenes that set two side by side),
// model (a model folder's URL; the built-in model without it), block, head, autoplay, loop, theme. Changing one updates the element in place. Anything wrong shows a
// message inside the element and fires an `error` event; the page around it carries on.

import { SCENES } from '../scenes/index.ts';
import { DEFAULT_GENERATED_TOKENS, DEFAULT_PROMPT, DEFAULT_SAMPLING } from '../model/explain.ts';
import { defineTransformerScene, TransformerSceneElement, unknownSceneMessage } from './player.ts';
import { Superseded, WorkerError } from './model-client.ts';
import { defaultModelSource, folderSource } from './model-picker.ts';
import { sharedModel } from './shared-models.ts';
import type { FormulaSource } from './inspection.ts';

/** Attributes that change which numbers the model computes (or which scene shows them). */
const MODEL_ATTRIBUTES = ['scene', 'prompt', 'compare', 'model', 'block', 'head'];

/** A mistake in the element's attributes: shown as it is, with no "something went wrong". */
class AttributeError extends Error {}

class TransformerSceneWithModel extends TransformerSceneElement {
  static override readonly observedAttributes = [...new Set([...TransformerSceneElement.observedAttributes, ...MODEL_ATTRIBUTES])];
  private updateQueued = false;
  /** Counts updates: an answer that comes after a newer update began is dropped. */
  private updates = 0;
  private autoplayed = false;
  /** The shared model this element's numbers come from (its worker also answers formulas). */
  private model: ReturnType<typeof sharedModel> | null = null;

  protected override formulaSource(): FormulaSource | null {
    return this.model?.formula ?? null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.queueUpdate();
  }

  override attributeChangedCallback(name: string, old?: string | null, value?: string | null): void {
    if (!MODEL_ATTRIBUTES.includes(name)) super.attributeChangedCallback(name);
    else if (old !== value) this.queueUpdate();
  }

  /** Several attributes set in one go (or by the parser) make one update. */
  private queueUpdate(): void {
    if (this.updateQueued || !this.isConnected) return;
    this.updateQueued = true;
    queueMicrotask(() => {
      this.updateQueued = false;
      void this.update();
    });
  }

  private async update(): Promise<void> {
    const update = ++this.updates;
    const current = () => update === this.updates && this.isConnected;
    try {
      if (!TransformerSceneElement.definitions.some((d) => d.name === this.sceneName)) throw new AttributeError(unknownSceneMessage(this.sceneName));
      const block = this.wholeNumber('block');
      const head = this.wholeNumber('head');
      const folder = this.getAttribute('model');
      const model = folder === null ? sharedModel('', defaultModelSource()) : this.folderModel(folder);
      this.model = model;
      if (!this.sceneObject) this.message = 'Loading the model…';
      const { config } = await model.loaded;
      if (!current()) return;
      checkRange('block', block, config.nLayer, 'blocks');
      checkRange('head', head, config.nHead, 'heads in each block');
      const request = {
        prompt: this.getAttribute('prompt') ?? DEFAULT_PROMPT,
        layer: block,
        head,
        sampling: DEFAULT_SAMPLING,
        window: 0,
        generateTokens: DEFAULT_GENERATED_TOKENS,
        lensPosition: null,
        compare: this.getAttribute('compare'),
      };
      const explanation = await model.explain(request, current);
      if (!current()) return;
      this.explanation = explanation;
      if (this.hasAttribute('autoplay') && !this.autoplayed && !this.prefersReducedMotion && this.sceneObject) {
        this.autoplayed = true;
        this.play();
      }
    } catch (error) {
      if (!current() || error instanceof Superseded) return;
      const message = (error as Error).message;
      const yours = error instanceof AttributeError || (error instanceof WorkerError && error.user);
      this.fail(yours ? message : `Something went wrong in the model: ${message}`);
    }
  }

  /** The shared model for the folder a `model` attribute names (relative to the page). */
  private folderModel(folder: string) {
    let source;
    try {
      source = folderSource(folder, folder.replace(/\/+$/, '').split('/').pop() || folder);
    } catch {
      throw new AttributeError(`model="${folder}" is not an address: set it to the URL of a model folder (config.json, model.safetensors, animated-transformer.json).`);
    }
    return sharedModel(source.configUrl, source);
  }

  /** A whole-number attribute (0 when absent). */
  private wholeNumber(name: string): number {
    const text = this.getAttribute(name);
    if (text === null) return 0;
    if (!/^\s*\d+\s*$/.test(text)) throw new AttributeError(`${name}="${text}" is not a number: set ${name} to a whole number, counting from 0.`);
    return Number(text);
  }
}

function checkRange(name: string, value: number, count: number, what: string): void {
  if (value >= count) throw new AttributeError(`${name}="${value}" is too large: this model has ${count} ${what}, numbered 0 to ${count - 1}.`);
}

defineTransformerScene(SCENES, { element: TransformerSceneWithModel });
