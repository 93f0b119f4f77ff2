/**
 * The confusion matrix as a labelled heat map: rows are the true classes, columns the predicted
 * ones, each cell shows its count and is coloured by its share of the row (so a class with fewer
 * test images is as readable as the others); the diagonal is the per-class recall.
 */
import { CnnError } from '../errors.js';
import { BLACK, Canvas, GREY, WHITE } from './canvas.js';
import { heatColor, isDark } from './colors.js';
import { textWidth } from './font.js';

export interface ConfusionLayout {
  canvas: Canvas;
  /** Top-left pixel of the first cell and the cell size. */
  x: number;
  y: number;
  cell: number;
}

function checkConfusion(confusion: readonly (readonly number[])[], classNames: readonly string[]): number {
  const n = confusion.length;
  if (n === 0) throw new CnnError('ERR_BAD_CONFUSION', 'the confusion matrix is empty');
  confusion.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== n) {
      throw new CnnError('ERR_BAD_CONFUSION', `the confusion matrix must be square: row ${i} has ${row?.length ?? 0} entries, expected ${n}`);
    }
    row.forEach((v, j) => {
      if (!Number.isFinite(v) || v < 0) throw new CnnError('ERR_BAD_CONFUSION', `confusion[${i}][${j}] is ${v}, expected a count >= 0`);
    });
  });
  if (classNames.length !== n) {
    throw new CnnError('ERR_BAD_CONFUSION', `${classNames.length} class names for a ${n}x${n} confusion matrix`);
  }
  return n;
}

export function renderConfusion(confusion: readonly (readonly number[])[], classNames: readonly string[]): ConfusionLayout {
  const n = checkConfusion(confusion, classNames);
  const maxCount = Math.max(...confusion.flat());
  const cell = Math.max(28, textWidth(String(maxCount)) + 8);
  const labelWidth = Math.max(...classNames.map((c) => textWidth(c)));
  const x = 16 + 12 + labelWidth + 8; // axis title, class names, gap
  const y = 40;
  const legendWidth = 70;
  const subtitle = 'rows: true class, columns: predicted; colour: share of the row';
  const width = Math.max(x + n * cell + 16 + legendWidth, x + textWidth(subtitle) + 16);
  const height = y + n * cell + 8 + labelWidth + 8 + 12 + 24;
  const canvas = new Canvas(width, height);

  const total = confusion.flat().reduce((a, b) => a + b, 0);
  const correct = confusion.reduce((s, row, i) => s + row[i], 0);
  const title = `confusion matrix: ${correct} of ${total} right (${total ? ((100 * correct) / total).toFixed(2) : '0.00'}%)`;
  canvas.text(x, 12, title, BLACK, 1);
  canvas.text(x, 24, subtitle, GREY);

  confusion.forEach((row, i) => {
    const rowTotal = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      const color = heatColor(rowTotal ? count / rowTotal : 0);
      const cx = x + j * cell;
      const cy = y + i * cell;
      canvas.fillRect(cx, cy, cell, cell, color);
      const label = String(count);
      canvas.text(cx + (cell - textWidth(label)) / 2, cy + (cell - 7) / 2, label, isDark(color) ? WHITE : BLACK);
    });
  });
  for (let k = 0; k <= n; k++) {
    canvas.fillRect(x + k * cell, y, 1, n * cell, WHITE);
    canvas.fillRect(x, y + k * cell, n * cell, 1, WHITE);
  }
  // Class names: left of each row, and under each column reading upwards.
  classNames.forEach((name, i) => {
    canvas.text(x - 8 - textWidth(name), y + i * cell + (cell - 7) / 2, name, BLACK);
    canvas.textVertical(x + i * cell + (cell - 7) / 2, y + n * cell + 8 + textWidth(name), name, BLACK);
  });
  const trueTitle = 'true class';
  canvas.textVertical(12, y + (n * cell + textWidth(trueTitle)) / 2, trueTitle, GREY);
  const predTitle = 'predicted class';
  canvas.text(x + (n * cell - textWidth(predTitle)) / 2, y + n * cell + 8 + labelWidth + 12, predTitle, GREY);

  // Colour legend: 0% at the bottom to 100% at the top.
  const lx = x + n * cell + 16;
  const lh = n * cell;
  for (let k = 0; k < lh; k++) canvas.fillRect(lx, y + lh - 1 - k, 14, 1, heatColor(k / Math.max(1, lh - 1)));
  canvas.strokeRect(lx, y, 14, lh, GREY);
  canvas.text(lx + 20, y, '100%', BLACK);
  canvas.text(lx + 20, y + lh / 2 - 4, '50%', BLACK);
  canvas.text(lx + 20, y + lh - 8, '0%', BLACK);
  return { canvas, x, y, cell };
}

export async function writeConfusionPng(confusion: readonly (readonly number[])[], classNames: readonly string[], path: string): Promise<void> {
  await renderConfusion(confusion, classNames).canvas.writePng(path);
}
