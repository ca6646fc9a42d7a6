// The sizes scenes are drawn with, as multiples of the area's base font size s (area.ts): text
// by its role, the height of a row of numbers, a token chip's height, and the frame around a
// scene. One table, so shapes and scenes agree: `size: s * TEXT.label`, `s * SPACE.row`.

/** Text sizes by role, in multiples of s. */
export const TEXT = {
  /** The prompt in quotes; the few large headings (the model as a formula, a weight matrix). */
  large: 1.3,
  /** A matrix's or a table's name, bold. */
  name: 1.15,
  /** The captions; a worked sum; an operation written between two matrices. */
  caption: 1.05,
  /** The scene's title. */
  title: 0.95,
  /** Token ids, rows of a table, a sum written out. */
  body: 0.9,
  /** Row labels (token pieces), brace texts, the subtitle. */
  label: 0.85,
  /** Numbers in a matrix's cells, small notes. */
  small: 0.8,
  /** Notes under a shape. */
  note: 0.75,
  /** Column indices above a matrix. */
  index: 0.72,
  /** The smallest: axis marks, ids beside a table. */
  tiny: 0.7,
  /** "+", "=", "×" between matrices. */
  operator: 1.6,
} as const;

/** Lengths, in multiples of s. */
export const SPACE = {
  /** A row of numbers: a matrix cell's height, a line of a worked sum. */
  row: 1.55,
  /** A token chip's height. */
  chip: 1.8,
  /** The margin around a scene (its title sits in it). */
  pad: 1.1,
  /** A caption's line height, in caption sizes. */
  captionLine: 1.35,
} as const;
