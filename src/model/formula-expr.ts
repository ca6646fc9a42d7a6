// The arithmetic a formula shows (formula.ts): numbers the model computed, rounded for the
// reader; exact constants; and the operations between them, written out as text. Kept as a tree
// rather than only as text, so a test can evaluate what the text states to the precision it
// states (tests/formula.test.ts).

/** Significant digits of every number a formula shows. */
const SHOWN_DIGITS = 4;

/** A number the model computed (or one summed from its numbers), shown to SHOWN_DIGITS digits. */
export interface Num {
  op: 'num';
  value: number;
  text: string;
  /** Words after the number saying what it is, e.g. "(the other 125 terms)". */
  note?: string;
}

/** A constant known exactly, written as a symbol or in full: √(2/π), 0.044715, √64. */
interface Const {
  op: 'const';
  value: number;
  text: string;
}

export type Expr =
  | Num
  | Const
  | { op: 'sum'; terms: Expr[] }
  | { op: 'sub'; a: Expr; b: Expr }
  | { op: 'mul'; factors: Expr[] }
  | { op: 'div'; a: Expr; b: Expr }
  | { op: 'sqrt' | 'exp' | 'tanh' | 'cube'; a: Expr };

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '+': '', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };

/** A value to SHOWN_DIGITS significant digits, with a true minus sign and ×10ⁿ for very small or large ones. */
export function shownDigits(value: number): string {
  if (value === Infinity) return '∞';
  if (value === -Infinity) return '−∞';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  const text = abs >= 1e-4 && abs < 1e5 ? value.toPrecision(SHOWN_DIGITS) : value.toExponential(SHOWN_DIGITS - 1);
  return withPowerOfTen(text);
}

/** "1.234e-5" as "1.234×10⁻⁵", and every minus sign as U+2212. */
function withPowerOfTen(text: string): string {
  const [mantissa, exponent] = text.split('e');
  const power = exponent === undefined ? '' : `×10${[...exponent].map((ch) => SUPERSCRIPT[ch]).join('')}`;
  return (mantissa + power).replace('-', '\u2212');
}

/** A number the model computed, rounded for display. */
export function num(value: number, note?: string): Num {
  return note ? { op: 'num', value, text: shownDigits(value), note } : { op: 'num', value, text: shownDigits(value) };
}

/** An exact constant: `text` is how it is written (its symbol, or its digits in full). */
export function exact(value: number, text = withPowerOfTen(String(value))): Const {
  return { op: 'const', value, text };
}

export const add = (...terms: Expr[]): Expr => ({ op: 'sum', terms });
export const minus = (a: Expr, b: Expr): Expr => ({ op: 'sub', a, b });
export const times = (...factors: Expr[]): Expr => ({ op: 'mul', factors });
export const over = (a: Expr, b: Expr): Expr => ({ op: 'div', a, b });
export const apply = (op: 'sqrt' | 'exp' | 'tanh' | 'cube', a: Expr): Expr => ({ op, a });

// How tightly each form binds, for brackets: a sum least, then a negative number (which needs
// brackets after "+" or "·"), then products and quotients, then numbers and functions.
const SUM = 1;
const NEGATIVE = 1.5;
const PRODUCT = 2;
const ATOM = 3;

/** The expression as one line of text, with only the brackets it needs. */
export function exprText(e: Expr): string {
  return render(e).text;
}

function render(e: Expr): { text: string; binds: number } {
  const inner = (child: Expr, atLeast: number): string => {
    const r = render(child);
    return r.binds >= atLeast ? r.text : `(${r.text})`;
  };
  switch (e.op) {
    case 'num':
    case 'const':
      return { text: e.op === 'num' && e.note ? `${e.text} ${e.note}` : e.text, binds: e.text.startsWith('\u2212') ? NEGATIVE : ATOM };
    case 'sum': {
      // A negative number after the first term is written as a subtraction: "a − 0.3", not "a + (−0.3)".
      const text = e.terms.map((t, i) => {
        if (i === 0) return inner(t, SUM);
        const negative = (t.op === 'num' || t.op === 'const') && t.text.startsWith('\u2212');
        return negative ? ` − ${render({ ...t, text: t.text.slice(1) }).text}` : ` + ${inner(t, PRODUCT)}`;
      });
      return { text: text.join(''), binds: SUM };
    }
    case 'sub':
      return { text: `${inner(e.a, SUM)} − ${inner(e.b, PRODUCT)}`, binds: SUM };
    case 'mul':
      return { text: e.factors.map((f) => inner(f, PRODUCT)).join(' · '), binds: PRODUCT };
    case 'div':
      return { text: `${inner(e.a, PRODUCT)} / ${inner(e.b, ATOM)}`, binds: PRODUCT };
    case 'sqrt':
      return { text: `√(${render(e.a).text})`, binds: ATOM };
    case 'exp':
      return { text: `e^(${render(e.a).text})`, binds: ATOM };
    case 'tanh':
      return { text: `tanh(${render(e.a).text})`, binds: ATOM };
    case 'cube':
      return { text: `${inner(e.a, ATOM)}³`, binds: ATOM };
  }
}

/** Every number an expression shows (for the test that evaluates it). */
export function shownNumbers(e: Expr): (Num | Const)[] {
  switch (e.op) {
    case 'num':
    case 'const':
      return [e];
    case 'sum':
      return e.terms.flatMap(shownNumbers);
    case 'mul':
      return e.factors.flatMap(shownNumbers);
    case 'sub':
    case 'div':
      return [...shownNumbers(e.a), ...shownNumbers(e.b)];
    default:
      return shownNumbers(e.a);
  }
}
