/**
 * The training-history chart: loss (left panel) and accuracy (right panel) per epoch, training and
 * validation, with axes, tick labels and a legend.
 */
import { CnnError } from '../errors.js';
import { BLACK, Canvas, GREY, LIGHT_GREY, type Rgb } from './canvas.js';
import { epochTicks, niceTicks, tickLabel } from './axes.js';
import { SERIES_COLORS } from './colors.js';
import { textHeight, textWidth } from './font.js';

export interface HistoryRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  val_loss?: number;
  val_accuracy?: number;
}

export const PLOT_WIDTH = 960;
export const PLOT_HEIGHT = 400;

const MARGIN = { left: 64, right: 16, top: 36, bottom: 48 };

interface Series {
  label: string;
  color: Rgb;
  points: [number, number][];
}

export interface PanelGeometry {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Data to pixel coordinates. */
  toX(epoch: number): number;
  toY(value: number): number;
}

function finitePoints(history: readonly HistoryRecord[], key: keyof HistoryRecord): [number, number][] {
  return history
    .filter((h) => typeof h[key] === 'number' && Number.isFinite(h[key] as number))
    .map((h) => [h.epoch, h[key] as number]);
}

function drawPanel(
  canvas: Canvas,
  left: number,
  width: number,
  title: string,
  epochRange: [number, number],
  series: Series[],
  valueRange?: [number, number],
): PanelGeometry {
  const x = left + MARGIN.left;
  const y = MARGIN.top;
  const w = width - MARGIN.left - MARGIN.right;
  const h = canvas.height - MARGIN.top - MARGIN.bottom;
  const values = series.flatMap((s) => s.points.map((p) => p[1]));
  const [e0, e1] = epochRange;
  let [v0, v1] = valueRange ?? (values.length ? [Math.min(...values), Math.max(...values)] : [0, 1]);
  if (!valueRange) {
    const pad = (v1 - v0) * 0.08 || Math.abs(v1) * 0.1 || 0.1;
    [v0, v1] = [v0 - pad, v1 + pad];
  }
  const yTicks = niceTicks(v0, v1, 5);
  const [lo, hi] = [yTicks[0], yTicks[yTicks.length - 1]];
  const xTicks = epochTicks(e0, e1);
  // One epoch still gets a visible axis: centre it.
  const toX = (e: number): number => (e1 > e0 ? x + ((e - e0) / (e1 - e0)) * w : x + w / 2);
  const toY = (v: number): number => y + h - ((v - lo) / (hi - lo)) * h;

  canvas.text(x + (w - textWidth(title, 2)) / 2, 8, title, BLACK, 2);
  for (const t of yTicks) {
    const py = Math.round(toY(t));
    canvas.fillRect(x, py, w, 1, LIGHT_GREY);
    const label = tickLabel(t, yTicks);
    canvas.text(x - 6 - textWidth(label), py - 3, label, BLACK);
  }
  for (const t of xTicks) {
    const px = Math.round(toX(t));
    canvas.fillRect(px, y + h, 1, 5, BLACK);
    const label = String(t);
    canvas.text(px - textWidth(label) / 2, y + h + 8, label, BLACK);
  }
  canvas.fillRect(x, y, 1, h + 1, BLACK);
  canvas.fillRect(x, y + h, w, 1, BLACK);
  canvas.text(x + (w - textWidth('epoch')) / 2, y + h + 24, 'epoch', GREY);

  for (const s of series) {
    for (let i = 1; i < s.points.length; i++) {
      const [a, b] = [s.points[i - 1], s.points[i]];
      canvas.line(toX(a[0]), toY(a[1]), toX(b[0]), toY(b[1]), s.color, 2);
    }
    for (const [e, v] of s.points) canvas.fillRect(Math.round(toX(e)) - 3, Math.round(toY(v)) - 3, 7, 7, s.color);
  }

  if (!series.length) {
    const note = 'no finite values';
    canvas.text(x + (w - textWidth(note)) / 2, y + h / 2, note, GREY);
    return { x, y, width: w, height: h, toX, toY };
  }
  // The legend in the top-right corner of the panel.
  const labelWidth = Math.max(...series.map((s) => textWidth(s.label)));
  const boxW = labelWidth + 40;
  const boxH = series.length * 14 + 8;
  const bx = x + w - boxW - 6;
  const by = y + 6;
  canvas.fillRect(bx, by, boxW, boxH, [255, 255, 255]);
  canvas.strokeRect(bx, by, boxW, boxH, GREY);
  series.forEach((s, i) => {
    const ly = by + 6 + i * 14;
    canvas.line(bx + 6, ly + 3, bx + 24, ly + 3, s.color, 2);
    canvas.fillRect(bx + 12, ly, 7, 7, s.color);
    canvas.text(bx + 32, ly - 1 + Math.floor((7 - textHeight()) / 2) + 1, s.label, BLACK);
  });
  return { x, y, width: w, height: h, toX, toY };
}

export interface HistoryPlot {
  canvas: Canvas;
  loss: PanelGeometry;
  accuracy: PanelGeometry;
}

export function renderHistoryPlot(history: readonly HistoryRecord[]): HistoryPlot {
  if (!Array.isArray(history) || history.length === 0) {
    throw new CnnError('ERR_NO_HISTORY', 'the training history is empty: there is nothing to plot (train for at least one epoch)');
  }
  const lossSeries: Series[] = [{ label: 'training', color: SERIES_COLORS.train, points: finitePoints(history, 'loss') }];
  const accSeries: Series[] = [{ label: 'training', color: SERIES_COLORS.train, points: finitePoints(history, 'accuracy') }];
  const valLoss = finitePoints(history, 'val_loss');
  const valAcc = finitePoints(history, 'val_accuracy');
  if (valLoss.length) lossSeries.push({ label: 'validation', color: SERIES_COLORS.validation, points: valLoss });
  if (valAcc.length) accSeries.push({ label: 'validation', color: SERIES_COLORS.validation, points: valAcc });
  if (!lossSeries[0].points.length && !accSeries[0].points.length) {
    throw new CnnError('ERR_NO_HISTORY', 'the training history has no finite loss or accuracy values to plot');
  }
  const canvas = new Canvas(PLOT_WIDTH, PLOT_HEIGHT);
  const half = PLOT_WIDTH / 2;
  const epochs = history.map((h) => h.epoch);
  const epochRange: [number, number] = [Math.min(...epochs), Math.max(...epochs)];
  const loss = drawPanel(canvas, 0, half, 'loss', epochRange, lossSeries.filter((s) => s.points.length));
  const accValues = accSeries.flatMap((s) => s.points.map((p) => p[1]));
  // Accuracy reads best on a fixed top of 1; the bottom follows the data so small gains show.
  const accLow = accValues.length ? Math.max(0, Math.min(...accValues) - 0.02) : 0;
  const accuracy = drawPanel(canvas, half, half, 'accuracy', epochRange, accSeries.filter((s) => s.points.length), [accLow, 1]);
  return { canvas, loss, accuracy };
}

export async function writeHistoryPlot(history: readonly HistoryRecord[], path: string): Promise<void> {
  await renderHistoryPlot(history).canvas.writePng(path);
}
