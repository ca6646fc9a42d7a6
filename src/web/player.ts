// The <transformer-scene> custom element: one scene on a canvas, played like a media element.
// It owns time, pointer/keyboard control, sizing and high-DPI drawing, and which value is
// inspected (inspection.ts shows it); what is drawn at time t is entirely the Scene's business
// (src/scenes/). Browser-only.
//
// Control: a tap/click under ~300 ms pauses a playing scene; on a paused one it inspects the
// number tapped, or plays on when it hits none. Press-hold-drag seeks with the pointer's x as the
// playhead. A resting mouse inspects what it rests on. Keys when focused: Space/k play or pause,
// Home/End jump, Shift+←/→ step (plain ←/→ too while playing); while paused, the arrows move
// from number to number and Escape leaves. prefers-reduced-motion: never autoplays.
// Where a scene offers choices (spots with `choose`: a head's map, a token), a tap on one chooses
// it, and while paused each choice is one stop of the arrow keys, made by Enter or Space: the
// element fires a `choose` event (detail: the SpotChoice) for the page to apply.

import type { Explanation } from '../model/explanation.ts';
import type { Scene, SceneDefinition } from '../scenes/contract.ts';
import type { Theme } from '../render/theme.ts';
import { plainText } from '../anim/label.ts';
import { Inspection, type FormulaSource } from './inspection.ts';
import { spotUnder } from './readout.ts';
import type { SpotChoice } from '../render/frame.ts';

/** A press shorter than this (and that barely moves) is a tap: it toggles pause. */
const TAP_MILLISECONDS = 300;
/** Moving further than this many CSS pixels while pressed starts seeking even before the hold time. */
const DRAG_START_PIXELS = 8;
/** ←/→ step, as a fraction of the duration. */
const KEY_STEP_FRACTION = 0.05;

const STYLE = `
:host { display: block; position: relative; aspect-ratio: 16 / 9; width: 100%; min-height: 180px;
  touch-action: pan-y; user-select: none; -webkit-user-select: none; cursor: pointer; outline: none;
  background: var(--scene-background, #fff); border-radius: 6px; overflow: hidden; }
:host(:focus-visible) { box-shadow: 0 0 0 3px var(--scene-focus, #3b6fd8); }
canvas { display: block; width: 100%; height: 100%; }
.bar { position: absolute; left: 0; right: 0; bottom: 0; height: 5px; background: var(--scene-track, rgba(0,0,0,0.08)); }
.fill { height: 100%; width: 0; background: var(--scene-progress, #3b6fd8); }
:host([data-seeking]) .bar { height: 9px; }
/* The pause mark: small and translucent in the top-right corner, so it never hides much of the scene. */
.mark { position: absolute; top: 6px; right: 6px; width: 22px; height: 22px; border-radius: 50%;
  background: var(--scene-mark-background, rgba(0,0,0,0.4)); display: none; pointer-events: none; }
.mark::before, .mark::after { content: ""; position: absolute; top: 6px; width: 3px; height: 10px; background: #fff; }
.mark::before { left: 7px; } .mark::after { right: 7px; }
:host([data-paused]) .mark { display: block; }
.message { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
  padding: 1em; text-align: center; font: 15px/1.4 system-ui, sans-serif; color: var(--scene-ink, #333); }
.message:empty { display: none; }
/* The readout: the value inspected, where in the forward pass it comes from, and its formula. */
.readout { position: absolute; max-width: min(44em, 94%); padding: 4px 7px; border-radius: 4px; pointer-events: none;
  background: var(--scene-readout-background, rgba(20,24,30,0.92)); color: #fff; font: 12px/1.35 ui-monospace, monospace;
  white-space: pre-line; overflow-wrap: anywhere; }
.readout:empty { display: none; }
/* For screen readers only: the live region, the current caption, how to use the keys. */
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
`;

/** What a screen reader is told the keys do (the page's "how" paragraph says the same). */
const KEYS_HINT =
  'Space plays or pauses. While paused, the arrow keys move from number to number and say what each is made of; Escape leaves. ' +
  'Shift with left or right arrow steps through time; Home and End jump to the start and the end.';

export class TransformerSceneElement extends HTMLElement {
  static readonly observedAttributes = ['scene', 'theme'];
  /** Scene definitions the `scene` attribute is looked up in; the page registers the real ones. */
  static definitions: readonly SceneDefinition[] = [];
  /** Where inspected values get their formulas (the page's model worker); without it, values are only named. */
  static formulas: FormulaSource | null = null;

  /** Where this element's inspected values get their formulas; an element with a model of its own overrides it. */
  protected formulaSource(): FormulaSource | null {
    return TransformerSceneElement.formulas;
  }

  private readonly canvas: HTMLCanvasElement;
  private readonly fill: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly messageBox: HTMLElement;
  /** The current beat's caption, for screen readers: a polite live region while the scene has focus. */
  private readonly captionBox: HTMLElement;
  private readonly inspection: Inspection;
  private built: Scene | null = null;
  private failure: Error | null = null;
  private data: Explanation | null = null;
  private time = 0;
  private isPaused = true;
  private visible = false;
  /** A new scene arrived while out of view: it is drawn when it comes into view. */
  private stale = false;
  private frameRequest = 0;
  private lastFrameTimestamp: number | null = null;
  private cssWidth = 0;
  /** The canvas's 2D context, made when the first scene is drawn. */
  private context: CanvasRenderingContext2D | null = null;
  private cssHeight = 0;
  private press: { id: number; x: number; startedAt: number; wasPaused: boolean; seeking: boolean; timer: number } | null = null;
  private readonly resizeObserver: ResizeObserver;
  private readonly intersectionObserver: IntersectionObserver;
  private readonly reducedMotion = matchMedia('(prefers-reduced-motion: reduce)');
  private readonly darkScheme = matchMedia('(prefers-color-scheme: dark)');
  /** Milliseconds the last frame's draw call took (read by bench/page.ts). */
  lastDrawMilliseconds = 0;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLE;
    this.canvas = document.createElement('canvas');
    this.bar = document.createElement('div');
    this.bar.className = 'bar';
    this.bar.setAttribute('role', 'progressbar');
    this.bar.setAttribute('aria-label', 'Time in the scene');
    this.bar.setAttribute('aria-valuemin', '0');
    this.fill = document.createElement('div');
    this.fill.className = 'fill';
    this.bar.append(this.fill);
    const mark = document.createElement('div');
    mark.className = 'mark';
    mark.setAttribute('aria-hidden', 'true');
    this.messageBox = document.createElement('div');
    this.messageBox.className = 'message';
    this.messageBox.setAttribute('role', 'status');
    // The box is for the eye; its words reach screen readers, once complete, through the live region.
    const readout = document.createElement('div');
    readout.className = 'readout';
    readout.setAttribute('aria-hidden', 'true');
    const live = document.createElement('div');
    live.className = 'sr';
    live.setAttribute('role', 'status');
    live.setAttribute('aria-live', 'polite');
    live.setAttribute('aria-atomic', 'true');
    this.captionBox = document.createElement('div');
    this.captionBox.className = 'sr';
    this.captionBox.setAttribute('aria-live', 'off');
    const hint = document.createElement('div');
    hint.className = 'sr';
    hint.textContent = KEYS_HINT;
    root.append(style, this.canvas, mark, this.bar, this.messageBox, readout, this.captionBox, live, hint);
    this.inspection = new Inspection(readout, live, {
      explanation: () => this.data,
      formulas: () => this.formulaSource(),
      area: () => ({ w: this.cssWidth, h: this.cssHeight }),
      spots: () => (this.built ? this.built.spotsAt(this.time, this.cssWidth, this.cssHeight) : []),
      redraw: () => this.draw(),
    });

    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.intersectionObserver = new IntersectionObserver((entries) => {
      this.visible = entries.some((e) => e.isIntersecting);
      if (this.visible && this.stale) this.draw();
      this.schedule();
    });
    this.addEventListener('pointerdown', (e) => this.onPointerDown(e));
    this.addEventListener('pointermove', (e) => this.onPointerMove(e));
    this.addEventListener('pointerleave', () => this.inspection.pointerAt(null));
    this.addEventListener('pointerup', (e) => this.onPointerUp(e));
    this.addEventListener('pointercancel', (e) => this.onPointerUp(e, true));
    this.addEventListener('keydown', (e) => this.onKeyDown(e));
    // Captions are announced while the reader is on this scene, not from every scene playing on the page.
    this.addEventListener('focus', () => this.captionBox.setAttribute('aria-live', 'polite'));
    this.addEventListener('blur', () => this.captionBox.setAttribute('aria-live', 'off'));
    this.darkScheme.addEventListener('change', () => this.draw());
  }

  connectedCallback(): void {
    if (!this.hasAttribute('tabindex')) this.tabIndex = 0;
    if (!this.hasAttribute('role')) this.setAttribute('role', 'group');
    this.resizeObserver.observe(this);
    this.intersectionObserver.observe(this);
    this.updateMarks();
    if (!this.built && !this.messageBox.textContent) this.message = 'Waiting for the model…';
  }

  disconnectedCallback(): void {
    this.resizeObserver.disconnect();
    this.intersectionObserver.disconnect();
    cancelAnimationFrame(this.frameRequest);
    this.frameRequest = 0;
  }

  attributeChangedCallback(name: string): void {
    if (name === 'scene' && this.data) this.explanation = this.data;
    else this.draw();
  }

  // ---- media-element-like API ----

  get currentTime(): number {
    return this.time;
  }
  set currentTime(seconds: number) {
    const clamped = Math.min(Math.max(Number.isFinite(seconds) ? seconds : 0, 0), this.duration);
    this.time = clamped;
    this.lastFrameTimestamp = null;
    this.draw();
    this.dispatchEvent(new Event('timeupdate'));
  }

  get duration(): number {
    return this.built ? this.built.durationSeconds : 0;
  }

  get paused(): boolean {
    return this.isPaused;
  }

  /** Loops back to the start at the end (attribute `loop`); otherwise pauses and fires `ended`. */
  get loop(): boolean {
    return this.hasAttribute('loop');
  }

  play(): void {
    if (!this.isPaused) return;
    this.inspection.clear();
    if (this.built && this.time >= this.duration && !this.loop) this.time = 0;
    this.isPaused = false;
    this.lastFrameTimestamp = null;
    this.updateMarks();
    this.dispatchEvent(new Event('play'));
    this.schedule();
  }

  pause(): void {
    if (this.isPaused) return;
    this.isPaused = true;
    this.updateMarks();
    this.dispatchEvent(new Event('pause'));
    this.draw();
  }

  /** True when the reader asked the system for less motion: the page must not autoplay then. */
  get prefersReducedMotion(): boolean {
    return this.reducedMotion.matches;
  }

  // ---- what is shown ----

  /** The scene's name, looked up in TransformerSceneElement.definitions. */
  get sceneName(): string {
    return this.getAttribute('scene') ?? '';
  }

  /** The model's numbers for one prompt: setting it (re)builds the scene in place, keeping the time. */
  get explanation(): Explanation | null {
    return this.data;
  }
  set explanation(explanation: Explanation | null) {
    this.data = explanation;
    if (!explanation) return;
    const definition = TransformerSceneElement.definitions.find((d) => d.name === this.sceneName);
    if (!definition) {
      this.fail(unknownSceneMessage(this.sceneName));
      return;
    }
    if (definition.appliesTo && !definition.appliesTo(explanation.config)) {
      this.showScene(null, `${explanation.modelName} has no such step, so there is nothing to show in “${definition.title}”.`);
      return;
    }
    if (definition.comparesPrompts && !explanation.compare) {
      this.showScene(null, explanation.secondPromptError ?? 'This scene sets two prompts side by side: give it a second prompt to see it.');
      return;
    }
    try {
      this.showScene(definition.build(explanation));
    } catch (error) {
      this.fail(`This scene could not be built: ${(error as Error).message}`);
    }
  }

  /** Why nothing is shown, or null while all is well (like a media element's `error`). */
  get error(): Error | null {
    return this.failure;
  }

  /** Shows `message` in place of the scene and fires an `error` event (an ErrorEvent carrying it). */
  protected fail(message: string): void {
    this.showScene(null, message);
    this.failure = new Error(message);
    this.dispatchEvent(new ErrorEvent('error', { message }));
  }

  /** Shows a ready-made Scene (or a message instead); for pages that build scenes themselves. */
  showScene(scene: Scene | null, message = ''): void {
    this.failure = null;
    this.built = scene;
    this.message = message;
    this.inspection.sceneChanged();
    if (scene) {
      this.setAttribute('aria-label', scene.title);
      this.time = Math.min(this.time, scene.durationSeconds);
      this.bar.setAttribute('aria-valuemax', String(scene.durationSeconds));
    }
    // Only scenes in view draw now, so a new prompt costs the page only what the reader sees.
    if (this.visible) this.draw();
    else this.stale = true;
    this.dispatchEvent(new Event('timeupdate'));
  }

  /** The built scene, or null before the model has answered. */
  get sceneObject(): Scene | null {
    return this.built;
  }

  /** A line of text over the scene (loading, errors); always rendered as text. */
  set message(text: string) {
    this.messageBox.textContent = text;
  }

  get theme(): Theme {
    const attribute = this.getAttribute('theme');
    if (attribute === 'light' || attribute === 'dark') return attribute;
    return this.darkScheme.matches ? 'dark' : 'light';
  }

  // ---- drawing and the clock ----

  private resize(): void {
    const rect = this.getBoundingClientRect();
    this.cssWidth = rect.width;
    this.cssHeight = rect.height;
    // A canvas's pixels cost memory and time to allocate (about 20 ms each in a software-rendered
    // browser): a scene out of view gets them when it first comes into view, so a page of many
    // scenes starts without doing that work for all of them.
    if (this.visible) this.draw();
    else this.stale = true;
  }

  private draw(): void {
    this.stale = false;
    const fraction = this.duration > 0 ? this.time / this.duration : 0;
    this.fill.style.width = `${(fraction * 100).toFixed(3)}%`;
    this.bar.setAttribute('aria-valuenow', this.time.toFixed(2));
    if (this.cssWidth === 0) return;
    if (!this.built) {
      // Nothing to show (yet): only a canvas that has shown a scene needs clearing.
      this.context?.clearRect(0, 0, this.canvas.width, this.canvas.height);
      return;
    }
    const pixelRatio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(this.cssWidth * pixelRatio));
    const height = Math.max(1, Math.round(this.cssHeight * pixelRatio));
    if (this.canvas.width !== width) this.canvas.width = width;
    if (this.canvas.height !== height) this.canvas.height = height;
    this.context ??= this.canvas.getContext('2d');
    const ctx = this.context;
    if (!ctx) return;
    const dpr = width / this.cssWidth;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const started = performance.now();
    ctx.save();
    try {
      this.built.draw(ctx, this.time, this.cssWidth, this.cssHeight, this.theme);
      // The values move while playing: the inspection follows them, then outlines what it reads.
      if (this.inspection.active) {
        const spots = this.built.spotsAt(this.time, this.cssWidth, this.cssHeight);
        this.inspection.follow(spots, this.press !== null);
        this.inspection.drawHighlights(ctx, spots, this.theme);
      }
    } catch (error) {
      ctx.restore();
      this.fail(`This scene failed to draw: ${(error as Error).message}`);
      return;
    }
    ctx.restore();
    this.lastDrawMilliseconds = performance.now() - started;
    this.updateCaption();
  }

  /** The caption of the beat at the current time, for screen readers; changed only when the beat does. */
  private updateCaption(): void {
    const beats = this.built?.beats ?? [];
    const beat = beats.find((b) => this.time < b.endSeconds) ?? beats.at(-1);
    const text = beat ? plainText(beat.caption) : '';
    if (this.captionBox.textContent !== text) this.captionBox.textContent = text;
  }

  private schedule(): void {
    if (this.frameRequest || this.isPaused || !this.visible || !this.built) return;
    this.frameRequest = requestAnimationFrame((timestamp) => this.tick(timestamp));
  }

  private tick(timestamp: number): void {
    this.frameRequest = 0;
    if (this.isPaused || !this.visible || !this.built) {
      this.lastFrameTimestamp = null;
      return;
    }
    if (this.lastFrameTimestamp !== null && !this.press?.seeking) {
      // Cap the step so a tab returning from the background does not jump ahead.
      const step = Math.min((timestamp - this.lastFrameTimestamp) / 1000, 0.1);
      let next = this.time + step;
      if (next >= this.duration) {
        if (this.loop) next = 0;
        else {
          this.time = this.duration;
          this.draw();
          this.pause();
          this.dispatchEvent(new Event('ended'));
          return;
        }
      }
      this.time = next;
      this.draw();
      this.dispatchEvent(new Event('timeupdate'));
    }
    this.lastFrameTimestamp = timestamp;
    this.schedule();
  }

  private updateMarks(): void {
    this.toggleAttribute('data-paused', this.isPaused);
  }

  // ---- pointer: tap toggles, press-hold-drag seeks ----

  private onPointerDown(e: PointerEvent): void {
    if (e.button !== 0 || this.press || !this.built) return;
    try {
      this.setPointerCapture(e.pointerId);
    } catch {
      // A synthetic pointer (no active pointer with this id) cannot be captured; the press still counts.
    }
    const timer = window.setTimeout(() => this.startSeeking(), TAP_MILLISECONDS);
    this.press = { id: e.pointerId, x: e.clientX, startedAt: performance.now(), wasPaused: this.isPaused, seeking: false, timer };
  }

  private startSeeking(): void {
    if (!this.press || this.press.seeking) return;
    this.press.seeking = true;
    this.setAttribute('data-seeking', '');
    this.seekTo(this.press.x);
  }

  private seekTo(clientX: number): void {
    const rect = this.getBoundingClientRect();
    const fraction = rect.width > 0 ? (clientX - rect.left) / rect.width : 0;
    this.currentTime = Math.min(Math.max(fraction, 0), 1) * this.duration;
  }

  private onPointerMove(e: PointerEvent): void {
    if (!this.press && e.pointerType !== 'touch' && this.data) {
      const rect = this.getBoundingClientRect();
      this.inspection.pointerAt({ x: e.clientX - rect.left, y: e.clientY - rect.top });
    }
    if (!this.press || e.pointerId !== this.press.id) return;
    if (!this.press.seeking && Math.abs(e.clientX - this.press.x) > DRAG_START_PIXELS) this.startSeeking();
    this.press.x = e.clientX;
    if (this.press.seeking) this.seekTo(e.clientX);
  }

  /** Tells the page the reader chose this (a `choose` event); the page applies it like its own pickers. */
  private choose(choice: SpotChoice): void {
    this.dispatchEvent(new CustomEvent<SpotChoice>('choose', { detail: choice, bubbles: true }));
  }

  private onPointerUp(e: PointerEvent, cancelled = false): void {
    const press = this.press;
    if (!press || e.pointerId !== press.id) return;
    clearTimeout(press.timer);
    this.press = null;
    this.removeAttribute('data-seeking');
    if (this.hasPointerCapture(e.pointerId)) this.releasePointerCapture(e.pointerId);
    if (cancelled) return;
    if (!press.seeking && performance.now() - press.startedAt < TAP_MILLISECONDS) {
      const rect = this.getBoundingClientRect();
      const point = { x: e.clientX - rect.left, y: e.clientY - rect.top };
      // A tap on a choice (a head's map, a token) makes it, playing or paused.
      const choice = this.built && this.data ? spotUnder(this.built.spotsAt(this.time, this.cssWidth, this.cssHeight), point.x, point.y)?.choose : undefined;
      if (choice) {
        this.choose(choice);
        if (this.isPaused) this.inspection.tap(point);
        return;
      }
      if (!this.isPaused) {
        this.pause();
        return;
      }
      // Paused: a tap on a number inspects it; anywhere else plays on.
      if (!this.data || !this.inspection.tap(point)) this.play();
    } else {
      this.lastFrameTimestamp = null;
      this.schedule();
    }
  }

  // ---- keyboard ----

  private onKeyDown(e: KeyboardEvent): void {
    if (!this.built || e.altKey || e.ctrlKey || e.metaKey) return;
    const step = this.duration * KEY_STEP_FRACTION;
    const inspecting = this.isPaused && !e.shiftKey;
    // Paused on a choice (a head's map, a token), Enter or Space makes it.
    const choice = this.isPaused ? this.inspection.choice : null;
    if (choice && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault();
      this.choose(choice);
      return;
    }
    switch (e.key) {
      case ' ':
      case 'k':
        if (this.isPaused) this.play();
        else this.pause();
        break;
      case 'ArrowLeft':
      case 'ArrowRight':
        if (inspecting) this.inspection.move(e.key === 'ArrowRight' ? 'next' : 'previous');
        else this.currentTime = this.time + (e.key === 'ArrowRight' ? step : -step);
        break;
      case 'ArrowUp':
      case 'ArrowDown':
        if (!inspecting) return; // the page scrolls
        this.inspection.move(e.key === 'ArrowDown' ? 'down' : 'up');
        break;
      case 'Escape':
        if (!this.inspection.spot) return;
        this.inspection.clear();
        break;
      case 'Home':
        this.currentTime = 0;
        break;
      case 'End':
        this.currentTime = this.duration;
        break;
      default:
        return;
    }
    e.preventDefault();
  }
}

/** What to show for a `scene` attribute that names no scene: the names there are. */
export function unknownSceneMessage(name: string): string {
  const names = TransformerSceneElement.definitions.map((d) => d.name).join(', ');
  return `There is no scene named “${name}”. Set scene to one of: ${names}.`;
}

interface DefineOptions {
  /** The class to register: the plain player, or a subclass (the element that runs the model itself, element.ts). */
  element?: typeof TransformerSceneElement;
  /** Where inspected values get their formulas (the page's model worker); without it, values are named only. */
  formulas?: FormulaSource | null;
}

/** Registers <transformer-scene> with the given scene definitions (safe to call twice). */
export function defineTransformerScene(definitions: readonly SceneDefinition[], options: DefineOptions = {}): void {
  TransformerSceneElement.definitions = definitions;
  TransformerSceneElement.formulas = options.formulas ?? null;
  if (!customElements.get('transformer-scene')) customElements.define('transformer-scene', options.element ?? TransformerSceneElement);
}

declare global {
  interface HTMLElementTagNameMap {
    'transformer-scene': TransformerSceneElement;
  }
}
