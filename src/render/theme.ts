// Colours of the two themes, by role. Scenes and shapes name a role ("token", "dim"); only the
// renderer turns it into a colour, so one display list draws in either theme.

export type Theme = 'light' | 'dark';


/** A colour role, or a literal CSS colour (heatmap cells) starting with "#" or "rgb". */
export type Paint =
  | 'bg'
  | 'ink'
  | 'muted'
  | 'faint'
  | 'panel'
  | 'grid'
  | 'token'
  | 'dim'
  | 'accent'
  | 'highlight'
  | 'highlightStroke'
  | 'pos'
  | 'neg'
  | `#${string}`
  | `rgb${string}`;

type Palette = Record<Exclude<Paint, `#${string}` | `rgb${string}`>, string>;

// Light follows the original article: white paper, dark ink, green tokens, blue dimensions,
// yellow highlight boxes.
const PALETTES: Record<Theme, Palette> = {
  light: {
    bg: '#ffffff',
    ink: '#1f2328',
    muted: '#59636e',
    faint: '#c9cfd6',
    panel: '#f2f4f7',
    grid: '#dde2e8',
    token: '#1a7f37',
    dim: '#1f5fbf',
    accent: '#b4412f',
    highlight: 'rgba(255, 213, 0, 0.38)',
    highlightStroke: '#d4a600',
    pos: '#c2410c',
    neg: '#1d4ed8',
  },
  dark: {
    bg: '#121519',
    ink: '#e8eaed',
    muted: '#9aa4af',
    faint: '#3c444e',
    panel: '#1d2228',
    grid: '#2c333b',
    token: '#4ade80',
    dim: '#6aa7ff',
    accent: '#f28b6e',
    highlight: 'rgba(250, 204, 21, 0.28)',
    highlightStroke: '#facc15',
    pos: '#fb923c',
    neg: '#60a5fa',
  },
};

export function resolvePaint(paint: Paint, theme: Theme): string {
  if (paint.startsWith('#') || paint.startsWith('rgb')) return paint;
  return PALETTES[theme][paint as keyof Palette];
}

/**
 * Diverging colour for a heatmap cell: value/scale in [−1, 1] maps from blue through the
 * background to orange. Returned as a literal so the display list stays theme-free;
 * the same ramp reads on both themes because the midpoint is a neutral grey.
 */
export function divergingColor(value: number, scale: number): `rgb${string}` {
  const x = Math.max(-1, Math.min(1, scale > 0 ? value / scale : 0));
  const mid = [150, 150, 150];
  const hi = x >= 0 ? [234, 88, 12] : [37, 99, 235];
  const a = Math.sqrt(Math.abs(x));
  const c = mid.map((m, i) => Math.round(m + (hi[i] - m) * a));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}
