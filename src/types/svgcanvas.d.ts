// svgcanvas 2.6.0 ships no types: the part of its API this project uses.
declare module 'svgcanvas' {
  export interface ContextOptions {
    width: number;
    height: number;
    /** A real Canvas 2D context the SVG context asks for text widths (measureText). */
    ctx?: CanvasRenderingContext2D;
    /** The document that makes the SVG's elements; the global one by default. */
    document?: Document;
  }
  /** A Canvas 2D context that builds an SVG document out of the calls made on it. */
  export class Context {
    constructor(options: ContextOptions);
    getSerializedSvg(fixNamedEntities?: boolean): string;
  }
}
