// The few DOM calls svgcanvas makes, for Node, which has no DOM: elements with attributes and
// children, text nodes, a <span> whose style reads the canvas font shorthand back as its parts,
// and an XML serializer. DOMMatrix and DOMPoint come from @napi-rs/canvas. Installed on globalThis only
// while a frame is drawn (withSvgDom), so nothing else in the process sees a fake document.

import { DOMMatrix, DOMPoint } from '@napi-rs/canvas';

class ShimText {
  readonly nodeName = '#text';
  parentNode: ShimElement | null = null;
  constructor(readonly data: string) {}
  cloneNode(): ShimText {
    return new ShimText(this.data);
  }
}

type ShimNode = ShimElement | ShimText;

class ShimElement {
  parentNode: ShimElement | null = null;
  readonly childNodes: ShimNode[] = [];
  private readonly attributes = new Map<string, string>();
  constructor(readonly nodeName: string) {}

  get children(): ShimElement[] {
    return this.childNodes.filter((n): n is ShimElement => n instanceof ShimElement);
  }
  setAttribute(name: string, value: unknown): void {
    this.attributes.set(name, String(value));
  }
  setAttributeNS(_ns: string | null, name: string, value: unknown): void {
    this.setAttribute(name, value);
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }
  removeAttribute(name: string): void {
    this.attributes.delete(name);
  }
  appendChild<N extends ShimNode>(node: N): N {
    node.parentNode?.removeChild(node);
    this.childNodes.push(node);
    node.parentNode = this;
    return node;
  }
  removeChild<N extends ShimNode>(node: N): N {
    const at = this.childNodes.indexOf(node);
    if (at >= 0) this.childNodes.splice(at, 1);
    node.parentNode = null;
    return node;
  }
  cloneNode(deep = false): ShimElement {
    const copy = new ShimElement(this.nodeName);
    for (const [k, v] of this.attributes) copy.attributes.set(k, v);
    if (deep) for (const child of this.childNodes) copy.appendChild(child.cloneNode(true));
    return copy;
  }
  /** svgcanvas sets `font: …` on a span and reads the shorthand's parts back. */
  get style(): { fontFamily: string; fontSize: string; fontStyle: string; fontWeight: string } {
    return parseFont(/font:\s*(.*)$/.exec(this.attributes.get('style') ?? '')?.[1] ?? '');
  }
  serialize(): string {
    const attrs = [...this.attributes].map(([k, v]) => ` ${k}="${escapeXml(v)}"`).join('');
    if (this.childNodes.length === 0) return `<${this.nodeName}${attrs}/>`;
    const inner = this.childNodes.map((n) => (n instanceof ShimText ? escapeXml(n.data) : n.serialize())).join('');
    return `<${this.nodeName}${attrs}>${inner}</${this.nodeName}>`;
  }
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** The canvas font shorthand this project writes: `[italic] [bold] 12.0px Family, …`. */
export function parseFont(font: string): { fontFamily: string; fontSize: string; fontStyle: string; fontWeight: string } {
  const m = /^\s*((?:(?:italic|oblique|normal|bold|bolder|lighter|\d{3})\s+)*)([\d.]+px)(?:\/\S+)?\s+(.+?)\s*$/.exec(font);
  if (!m) return { fontFamily: '', fontSize: '', fontStyle: '', fontWeight: '' };
  const words = m[1].split(/\s+/);
  return {
    fontFamily: m[3],
    fontSize: m[2],
    fontStyle: words.find((w) => w === 'italic' || w === 'oblique') ?? 'normal',
    fontWeight: words.find((w) => /^(bold|bolder|lighter|\d{3})$/.test(w)) ?? 'normal',
  };
}

const shimDocument = {
  createElementNS: (_ns: string, name: string) => new ShimElement(name),
  createElement: (name: string) => new ShimElement(name),
  createTextNode: (text: string) => new ShimText(text),
};

class ShimSerializer {
  serializeToString(node: ShimElement): string {
    return node.serialize();
  }
}

/** Runs `fn` with the globals svgcanvas reads; a real DOM, where there is one, is left alone. */
export function withSvgDom<R>(fn: () => R): R {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.document !== 'undefined') return fn();
  const saved = { XMLSerializer: g.XMLSerializer, DOMMatrix: g.DOMMatrix, DOMPoint: g.DOMPoint };
  g.document = shimDocument;
  g.XMLSerializer = ShimSerializer;
  g.DOMMatrix ??= DOMMatrix;
  g.DOMPoint ??= DOMPoint;
  try {
    return fn();
  } finally {
    delete g.document;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete g[k];
      else g[k] = v;
    }
  }
}
