/**
 * An RGBA drawing surface for the pictures, encoded as PNG by pngjs. Only what the charts need:
 * rectangles, lines, text in the built-in bitmap font, and grey or colour-mapped images scaled up
 * by whole pixels (so every input pixel stays a crisp square).
 */
import { dirname } from 'node:path';
import { pngjs } from '../util/lazy-pngjs.js';
import { writeFileAtomic, describeFsError } from '../util/atomic-write.js';
import { CnnError } from '../errors.js';
import { CHAR_ADVANCE, glyph, GLYPH_HEIGHT, GLYPH_WIDTH } from './font.js';

export type Rgb = readonly [number, number, number];

export const WHITE: Rgb = [255, 255, 255];
export const BLACK: Rgb = [0, 0, 0];
export const GREY: Rgb = [128, 128, 128];
export const LIGHT_GREY: Rgb = [225, 225, 225];

export class Canvas {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = WHITE,
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`canvas size ${width}x${height} is not a positive whole size`);
    }
    this.data = new Uint8Array(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  setPixel(x: number, y: number, [r, g, b]: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    this.data[i] = r;
    this.data[i + 1] = g;
    this.data[i + 2] = b;
    this.data[i + 3] = 255;
  }

  getPixel(x: number, y: number): [number, number, number] {
    const i = (y * this.width + x) * 4;
    return [this.data[i], this.data[i + 1], this.data[i + 2]];
  }

  fillRect(x: number, y: number, w: number, h: number, color: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.setPixel(xx, yy, color);
  }

  strokeRect(x: number, y: number, w: number, h: number, color: Rgb): void {
    this.fillRect(x, y, w, 1, color);
    this.fillRect(x, y + h - 1, w, 1, color);
    this.fillRect(x, y, 1, h, color);
    this.fillRect(x + w - 1, y, 1, h, color);
  }

  /** A straight line `thickness` pixels wide (a square brush moved along it). */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness = 1): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const half = Math.floor((thickness - 1) / 2);
    for (let s = 0; s <= steps; s++) {
      const x = Math.round(x0 + ((x1 - x0) * s) / steps);
      const y = Math.round(y0 + ((y1 - y0) * s) / steps);
      this.fillRect(x - half, y - half, thickness, thickness, color);
    }
  }

  /** Text with its top-left corner at (x, y); each font pixel becomes a scale x scale square. */
  text(x: number, y: number, text: string, color: Rgb = BLACK, scale = 1): void {
    let cx = Math.round(x);
    for (const ch of text) {
      const rows = glyph(ch);
      for (let r = 0; r < GLYPH_HEIGHT; r++) {
        for (let c = 0; c < GLYPH_WIDTH; c++) if (rows[r][c]) this.fillRect(cx + c * scale, y + r * scale, scale, scale, color);
      }
      cx += CHAR_ADVANCE * scale;
    }
  }

  /** Text turned 90 degrees counter-clockwise (reading bottom to top), its bottom-left at (x, y). */
  textVertical(x: number, y: number, text: string, color: Rgb = BLACK, scale = 1): void {
    let cy = Math.round(y);
    for (const ch of text) {
      const rows = glyph(ch);
      for (let r = 0; r < GLYPH_HEIGHT; r++) {
        for (let c = 0; c < GLYPH_WIDTH; c++) if (rows[r][c]) this.fillRect(x + r * scale, cy - (c + 1) * scale, scale, scale, color);
      }
      cy -= CHAR_ADVANCE * scale;
    }
  }

  /** Draws a (height x width) grid of colours, each cell as a scale x scale square. */
  cells(x: number, y: number, rows: number, cols: number, scale: number, colorAt: (row: number, col: number) => Rgb): void {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) this.fillRect(x + c * scale, y + r * scale, scale, scale, colorAt(r, c));
  }

  toPng(): Buffer {
    const png = new (pngjs().PNG)({ width: this.width, height: this.height });
    png.data = Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    return pngjs().PNG.sync.write(png, { colorType: 2 });
  }

  async writePng(path: string): Promise<void> {
    try {
      await writeFileAtomic(path, this.toPng());
    } catch (e) {
      const why = (e as { code?: string }).code === 'ENOENT' ? `its folder ${dirname(path)} does not exist` : describeFsError(e);
      throw new CnnError('ERR_WRITE_IMAGE', `cannot write ${path}: ${why}`);
    }
  }
}

/** Reads a PNG back (for tests and checks): width, height and RGBA pixels. */
export function decodePng(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const png = pngjs().PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
}
