/**
 * rich's text layout, as Keras's model.summary() gets it (rich 13-15): the width of text in terminal
 * cells (wide East Asian characters take 2, combining marks 0), word wrapping (rich's divide_line) and
 * the cropping of a line, including rich's own quirks (rstrip_end counts characters, not cells, so a
 * trailing space after wide characters can push a cell line into its ellipsis, as Keras prints it).
 */

// East Asian Wide and Fullwidth ranges (the ones rich's cell table marks 2), as [first, last].
const WIDE: [number, number][] = [
  [0x1100, 0x115f], [0x231a, 0x231b], [0x2329, 0x232a], [0x23e9, 0x23ec], [0x23f0, 0x23f0], [0x23f3, 0x23f3],
  [0x25fd, 0x25fe], [0x2614, 0x2615], [0x2648, 0x2653], [0x267f, 0x267f], [0x2693, 0x2693], [0x26a1, 0x26a1],
  [0x26aa, 0x26ab], [0x26bd, 0x26be], [0x26c4, 0x26c5], [0x26ce, 0x26ce], [0x26d4, 0x26d4], [0x26ea, 0x26ea],
  [0x26f2, 0x26f3], [0x26f5, 0x26f5], [0x26fa, 0x26fa], [0x26fd, 0x26fd], [0x2705, 0x2705], [0x270a, 0x270b],
  [0x2728, 0x2728], [0x274c, 0x274c], [0x274e, 0x274e], [0x2753, 0x2755], [0x2757, 0x2757], [0x2795, 0x2797],
  [0x27b0, 0x27b0], [0x27bf, 0x27bf], [0x2b1b, 0x2b1c], [0x2b50, 0x2b50], [0x2b55, 0x2b55], [0x2e80, 0x303e],
  [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf], [0xa960, 0xa97f], [0xac00, 0xd7a3],
  [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6f], [0xff00, 0xff60], [0xffe0, 0xffe6], [0x16fe0, 0x16fe4],
  [0x17000, 0x18cff], [0x1b000, 0x1b2ff], [0x1f004, 0x1f004], [0x1f0cf, 0x1f0cf], [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a], [0x1f200, 0x1f251], [0x1f300, 0x1f64f], [0x1f680, 0x1f6ff], [0x1f7e0, 0x1f7eb],
  [0x1f90c, 0x1f9ff], [0x1fa70, 0x1faff], [0x20000, 0x2fffd], [0x30000, 0x3fffd],
];
const ZERO = /^[\p{Mn}\p{Me}\u200b-\u200f\u2028-\u202e\u2060-\u2063\ufeff]$/u;

function charWidth(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x300) return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ? 0 : 1;
  if (ZERO.test(ch) || (cp >= 0x1160 && cp <= 0x11ff)) return 0;
  let lo = 0;
  let hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < WIDE[mid][0]) hi = mid - 1;
    else if (cp > WIDE[mid][1]) lo = mid + 1;
    else return 2;
  }
  return 1;
}

/** rich.cells.cell_len: columns the text takes in a terminal. */
export function cellLen(text: string): number {
  let n = 0;
  for (const ch of text) n += charWidth(ch);
  return n;
}

/** rich.cells.set_cell_size: crop (a wide character that would straddle becomes a space) or pad to `total` cells. */
export function setCellSize(text: string, total: number): string {
  if (total <= 0) return '';
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = charWidth(ch);
    if (used + w > total) break;
    out += ch;
    used += w;
  }
  return out + ' '.repeat(total - used);
}

function chopCells(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  let size = 0;
  for (const ch of text) {
    const w = charWidth(ch);
    if (size + w > width) {
      lines.push(line);
      line = '';
      size = 0;
    }
    line += ch;
    size += w;
  }
  if (size) lines.push(line);
  return lines;
}

/** rich._wrap.divide_line: offsets (in UTF-16 units here) at which to break `text` to fit `width` cells. */
function divideLine(text: string, width: number, fold: boolean): number[] {
  const breaks: number[] = [];
  let offset = 0;
  for (const m of text.matchAll(/\s*\S+\s*/g)) {
    let start = m.index!;
    const word = m[0];
    const wordLength = cellLen(word.trimEnd());
    if (width - offset >= wordLength) {
      offset += cellLen(word);
    } else if (wordLength > width) {
      if (fold) {
        const folded = chopCells(word, width);
        folded.forEach((line, i) => {
          if (start) breaks.push(start);
          if (i === folded.length - 1) offset = cellLen(line);
          else start += line.length;
        });
      } else {
        if (start) breaks.push(start);
        offset = cellLen(word);
      }
    } else if (offset && start) {
      breaks.push(start);
      offset = cellLen(word);
    }
  }
  return breaks;
}

function divide(text: string, breaks: number[]): string[] {
  const out: string[] = [];
  let from = 0;
  for (const b of breaks) {
    out.push(text.slice(from, b));
    from = b;
  }
  out.push(text.slice(from));
  return out;
}

/** Text.rstrip_end: drops trailing whitespace beyond `size`, counting characters as rich does. */
function rstripEnd(line: string, size: number): string {
  const chars = [...line].length;
  if (chars <= size) return line;
  const ws = /\s+$/.exec(line)?.[0].length ?? 0;
  return line.slice(0, line.length - Math.min(ws, chars - size));
}

function truncate(line: string, width: number, overflow: 'ellipsis' | 'fold'): string {
  if (cellLen(line) <= width) return line;
  return overflow === 'ellipsis' ? `${setCellSize(line, width - 1)}…` : setCellSize(line, width);
}

export interface CellLine {
  text: string; // exactly `width` cells
  start: number; // where its content starts in the cell's text
  lead: number; // spaces of padding before the content
  length: number; // UTF-16 units of content (an ellipsis takes the place of a character)
}

/** A table cell's lines as rich lays them out (overflow "ellipsis"), each exactly `width` cells. */
export function wrapCell(text: string, width: number, justify: 'left' | 'right'): CellLine[] {
  const breaks = divideLine(text, width, false);
  const starts = [0, ...breaks];
  return divide(text, breaks).map((raw, i) => {
    let line = rstripEnd(raw, width);
    if (justify === 'right') line = truncate(line.trimEnd(), width, 'ellipsis');
    else line = truncate(line, width, 'ellipsis');
    const pad = ' '.repeat(Math.max(0, width - cellLen(line)));
    return justify === 'right'
      ? { text: pad + line, start: starts[i], lead: pad.length, length: line.length }
      : { text: line + pad, start: starts[i], lead: 0, length: line.length };
  });
}

/** A line Console.print writes at `width` columns (overflow "fold"), unpadded, with its start in `text`. */
export function wrapConsole(text: string, width: number): { text: string; start: number }[] {
  const breaks = divideLine(text, width, true);
  const starts = [0, ...breaks];
  return divide(text, breaks).map((raw, i) => ({ text: truncate(rstripEnd(raw, width), width, 'fold'), start: starts[i] }));
}

/** Styled ranges of a text, [from, to, SGR code]; rich writes each run as ESC[code m ... ESC[0m. */
export type Spans = [number, number, string][];

/** `line` (content from `start` of the styled text) with the ANSI codes of the spans it overlaps. */
export function paintSpans(line: string, start: number, spans: Spans): string {
  let out = '';
  let run = '';
  let code: string | undefined;
  const flush = () => {
    if (run) out += code ? `\u001b[${code}m${run}\u001b[0m` : run;
    run = '';
  };
  for (let j = 0; j < line.length; j++) {
    const at = start + j;
    const c = spans.find(([a, b]) => at >= a && at < b)?.[2];
    if (c !== code) {
      flush();
      code = c;
    }
    run += line[j];
  }
  flush();
  return out;
}
