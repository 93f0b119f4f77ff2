/**
 * An image as a terminal picture: shades of grey as characters, no ANSI codes, so it pipes and
 * diffs cleanly (what the seed tutorials show with plt.imshow(img, cmap="gray")).
 */
import type { ImageSet } from './index.js';

export interface RenderOptions {
  /** Darkest to brightest; the default has ten levels. */
  ramp?: string;
  /** Characters per pixel across: 2 makes a 28x28 digit look square in most terminals. */
  charsPerPixel?: number;
  /** Swap the ramp, for light-background terminals or dark-on-light datasets. */
  invert?: boolean;
}

export const DEFAULT_RAMP = ' .:-=+*#%@';

/**
 * Renders image `index` of `set` in grey levels: a colour (3-channel) image by its luma (Rec. 601,
 * 0.299 R + 0.587 G + 0.114 B, how a colour picture looks in black and white), others by the mean
 * of their channels.
 */
export function renderImage(set: ImageSet, index: number, options: RenderOptions = {}): string {
  if (!Number.isInteger(index) || index < 0 || index >= set.count) {
    throw new RangeError(`image index ${index} is out of range 0..${set.count - 1}`);
  }
  let ramp = options.ramp ?? DEFAULT_RAMP;
  if (options.invert) ramp = [...ramp].reverse().join('');
  const repeat = options.charsPerPixel ?? 2;
  const { height, width, channels } = set;
  const base = index * height * width * channels;
  const lines: string[] = [];
  for (let y = 0; y < height; y++) {
    let line = '';
    for (let x = 0; x < width; x++) {
      let sum = 0;
      const at = base + (y * width + x) * channels;
      for (let c = 0; c < channels; c++) sum += set.images[at + c];
      const grey = channels === 3 ? 0.299 * set.images[at] + 0.587 * set.images[at + 1] + 0.114 * set.images[at + 2] : sum / channels;
      const level = Math.min(ramp.length - 1, Math.floor((grey * ramp.length) / 256));
      line += ramp[level].repeat(repeat);
    }
    lines.push(line.trimEnd());
  }
  return lines.join('\n');
}
