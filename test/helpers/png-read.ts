/**
 * Reading the pictures back the way a person looks at them: pixels, the text the built-in bitmap
 * font drew (tick labels), the separator lines of the visualize sheet and where its content ends.
 */
import { CHAR_ADVANCE, glyph, GLYPH_HEIGHT, GLYPH_WIDTH } from '../../src/viz/font.js';

export interface Png {
  width: number;
  height: number;
  data: Uint8Array;
}

export function pixelAt(png: Png, x: number, y: number): [number, number, number] {
  const i = (Math.round(y) * png.width + Math.round(x)) * 4;
  return [png.data[i], png.data[i + 1], png.data[i + 2]];
}

const isWhite = (p: readonly number[]): boolean => p[0] === 255 && p[1] === 255 && p[2] === 255;
const isInk = (p: readonly number[]): boolean => p[0] < 64 && p[1] < 64 && p[2] < 64;

function cellMatches(png: Png, left: number, top: number, ch: string): boolean {
  const rows = glyph(ch);
  for (let r = 0; r < GLYPH_HEIGHT; r++) for (let c = 0; c < GLYPH_WIDTH; c++) if (rows[r][c] !== isInk(pixelAt(png, left + c, top + r))) return false;
  return true;
}

/**
 * The lines of black text inside [x0, x1) x [y0, y1], top to bottom, decoded glyph by glyph
 * (characters from `alphabet`); each with the row of its top.
 */
export function readText(png: Png, x0: number, x1: number, y0: number, y1: number, alphabet = '0123456789.-'): { y: number; text: string }[] {
  const inkIn = (x: number, y: number): boolean => x >= x0 && x < x1 && y >= y0 && y < y1 && isInk(pixelAt(png, x, y));
  const rowHasInk = (y: number): boolean => {
    for (let x = x0; x < x1; x++) if (inkIn(x, y)) return true;
    return false;
  };
  const lines: { y: number; text: string }[] = [];
  for (let y = y0; y < y1; y++) {
    if (!rowHasInk(y) || (y > y0 && rowHasInk(y - 1))) continue;
    // A line of text starts on this row: find its ink columns within one glyph height.
    let left = Infinity;
    let right = -Infinity;
    for (let x = x0; x < x1; x++) {
      for (let r = 0; r < GLYPH_HEIGHT; r++) {
        if (inkIn(x, y + r)) {
          left = Math.min(left, x);
          right = Math.max(right, x);
        }
      }
    }
    // The glyph cell may start up to 4 columns before its first inked column ('1', '.').
    let text: string | undefined;
    for (let start = left - GLYPH_WIDTH + 1; start <= left && text === undefined; start++) {
      let s = '';
      for (let cx = start; cx <= right; cx += CHAR_ADVANCE) {
        const ch = [...alphabet].find((c) => cellMatches(png, cx, y, c));
        if (ch === undefined) {
          s = '';
          break;
        }
        s += ch;
      }
      if (s) text = s;
    }
    lines.push({ y, text: text ?? '?' });
    y += GLYPH_HEIGHT - 1;
  }
  return lines;
}

/** Rows that are one grey separator line from x = pad to width - pad (the sheet's section tops). */
export function separatorRows(png: Png, pad: number, grey = 200): number[] {
  const rows: number[] = [];
  for (let y = 0; y < png.height; y++) {
    let all = true;
    for (let x = pad; x < png.width - pad && all; x++) all = pixelAt(png, x, y).every((v) => v === grey);
    if (all) rows.push(y);
  }
  return rows;
}

/** The rightmost column with anything drawn in it (the separator lines, which span the sheet, aside). */
export function contentRightEdge(png: Png, pad: number): number {
  const separators = new Set(separatorRows(png, pad));
  for (let x = png.width - 1; x >= 0; x--) {
    for (let y = 0; y < png.height; y++) if (!separators.has(y) && !isWhite(pixelAt(png, x, y))) return x;
  }
  return -1;
}
