/**
 * What the visualization sheet shows, as plain data: tiles (small images, each scaled by its own
 * minimum and maximum when drawn) grouped in titled sections. Filters come from a layer's kernel in
 * Keras layout (kh, kw, in, out); feature maps from the layer's output for one image, NHWC (or CHW
 * for a channels_first convolution).
 */

export interface Tile {
  height: number;
  width: number;
  /** height*width grey values, or height*width*3 interleaved RGB values when rgb is set. */
  values: Float32Array;
  rgb: boolean;
  caption?: string;
  /** Fixed value range mapped to black..white (the input's 0..255); otherwise the tile's own min..max. */
  range?: [number, number];
}

export interface SheetSection {
  title: string;
  tiles: Tile[];
  /** Screen pixels per tile pixel. */
  scale: number;
  /** Tiles per row when the grid has a meaning (filters x input channels); otherwise wrap freely. */
  columns?: number;
}

export type FilterChannelMode = 'mean' | 'all';

/**
 * One tile per filter: a grey tile for a one-channel input, a colour tile for three channels when
 * `colourFirst` (the first layer of an RGB model), otherwise the mean over input channels ('mean')
 * or one tile per input channel, a row per filter ('all').
 */
export function filterTiles(kernel: Float32Array, shape: readonly number[], mode: FilterChannelMode, colourFirst: boolean): { tiles: Tile[]; columns?: number } {
  const [kh, kw, cin, cout] = shape;
  const at = (y: number, x: number, i: number, o: number): number => kernel[((y * kw + x) * cin + i) * cout + o];
  const tiles: Tile[] = [];
  if (cin === 3 && colourFirst) {
    for (let o = 0; o < cout; o++) {
      const values = new Float32Array(kh * kw * 3);
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < 3; i++) values[(y * kw + x) * 3 + i] = at(y, x, i, o);
      tiles.push({ height: kh, width: kw, values, rgb: true, caption: String(o) });
    }
    return { tiles };
  }
  if (cin === 1 || mode === 'mean') {
    for (let o = 0; o < cout; o++) {
      const values = new Float32Array(kh * kw);
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) {
          let s = 0;
          for (let i = 0; i < cin; i++) s += at(y, x, i, o);
          values[y * kw + x] = s / cin;
        }
      tiles.push({ height: kh, width: kw, values, rgb: false, caption: String(o) });
    }
    return { tiles };
  }
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < cin; i++) {
      const values = new Float32Array(kh * kw);
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) values[y * kw + x] = at(y, x, i, o);
      tiles.push({ height: kh, width: kw, values, rgb: false, caption: i === 0 ? String(o) : undefined });
    }
  }
  return { tiles, columns: cin };
}

/** One tile per channel of a layer's (H, W, C) output, or (C, H, W) when channelsFirst. */
export function featureMapTiles(output: Float32Array, shape: readonly number[], channelsFirst: boolean): Tile[] {
  const [h, w, c] = channelsFirst ? [shape[1], shape[2], shape[0]] : [shape[0], shape[1], shape[2]];
  const tiles: Tile[] = [];
  for (let ch = 0; ch < c; ch++) {
    const values = new Float32Array(h * w);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) values[y * w + x] = channelsFirst ? output[(ch * h + y) * w + x] : output[(y * w + x) * c + ch];
    tiles.push({ height: h, width: w, values, rgb: false, caption: String(ch) });
  }
  return tiles;
}

/** The input image as a tile (grey, or colour for three channels), from raw pixels. */
export function imageTile(pixels: ArrayLike<number>, height: number, width: number, channels: number): Tile {
  if (channels === 3) return { height, width, values: Float32Array.from(pixels), rgb: true, range: [0, 255] };
  const values = new Float32Array(height * width);
  for (let p = 0; p < height * width; p++) {
    let s = 0;
    for (let ch = 0; ch < channels; ch++) s += pixels[p * channels + ch];
    values[p] = s / channels;
  }
  return { height, width, values, rgb: false, range: [0, 255] };
}

/** Screen pixels per tile pixel so a tile is about `target` pixels across (at least `min`). */
export function scaleFor(size: number, target: number, min = 1): number {
  return Math.max(min, Math.floor(target / Math.max(1, size)));
}
