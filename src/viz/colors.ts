/** Colour scales: grey for images and maps, a perceptual blue-to-yellow scale for heat maps, and
 * distinct line colours for charts. */
import type { Rgb } from './canvas.js';

/** t in [0, 1] -> black to white (NaN is drawn as a mid grey rather than failing). */
export function greyColor(t: number): Rgb {
  const v = Number.isFinite(t) ? Math.round(Math.min(1, Math.max(0, t)) * 255) : 128;
  return [v, v, v];
}

// Control points of matplotlib's viridis (a scale readable in greyscale and by colour-blind readers).
const VIRIDIS: Rgb[] = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 74, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [110, 206, 88],
  [181, 222, 43],
  [253, 231, 37],
];

export function heatColor(t: number): Rgb {
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1) : 0;
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS[i], VIRIDIS[i + 1]];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** Relative luminance, to choose black or white text over a cell. */
export function isDark([r, g, b]: Rgb): boolean {
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 128;
}

export const SERIES_COLORS: Record<string, Rgb> = {
  train: [31, 119, 180], // blue
  validation: [255, 127, 14], // orange
};

/** Linear scaling of a map to [0, 1] by its own min and max. A constant map renders uniform: black
 * when it is all zero (a feature found nowhere, as after a ReLU), mid grey otherwise. */
export function normalizer(values: ArrayLike<number>): (v: number) => number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) {
    const level = lo === 0 || !Number.isFinite(lo) ? 0 : 0.5;
    return () => level;
  }
  return (v) => (v - lo) / (hi - lo);
}
