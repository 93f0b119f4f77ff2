/** Prints 2-D maps as aligned tables, the way the seed tutorials show feature maps. */

/** Integers print as integers; other values with up to 4 decimals, trailing zeros dropped. */
export function formatCell(v: number): string {
  if (Object.is(v, -0)) v = 0;
  if (Number.isInteger(v)) return String(v);
  const s = v.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

export function formatMap(data: ArrayLike<number>, rows: number, cols: number, stride = 1, offset = 0): string {
  const cells: string[][] = [];
  for (let r = 0; r < rows; r++) {
    const row: string[] = [];
    for (let c = 0; c < cols; c++) row.push(formatCell(data[offset + (r * cols + c) * stride]));
    cells.push(row);
  }
  const width = Math.max(...cells.flat().map((s) => s.length));
  return cells.map((row) => row.map((s) => s.padStart(width)).join(' ')).join('\n');
}

/** A (h, w, c) map: one table per channel, labelled when there is more than one. */
export function formatChannels(data: ArrayLike<number>, shape: number[], label = 'channel'): string {
  const [h, w, c] = shape;
  if (c === 1) return formatMap(data, h, w, 1, 0);
  const parts: string[] = [];
  for (let k = 0; k < c; k++) parts.push(`${label} ${k}:\n${formatMap(data, h, w, c, k)}`);
  return parts.join('\n\n');
}
