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

/** A rectangle in canvas pixels. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PanelGeometry extends Box {
  /** The value axis's tick values, lowest first (the labels drawn left of the axis). */
  yTicks: number[];
  /** Where the legend was drawn: a corner of the panel clear of every curve, or below the panel. */
  legend?: Box;
  /** Data to pixel coordinates. */
  toX(epoch: number): number;
  toY(value: number): number;
}

const MARKER = 3; // markers are (2 * MARKER + 1) pixels square
const LINE = 2;
const LEGEND_ROW = 14;
/** Pixels kept free between the legend and the nearest curve. */
const LEGEND_CLEARANCE = 4;
/** Height given up by the plot area when no corner is free and the legend goes below the panel. */
const LEGEND_BELOW = LEGEND_ROW + 10;

function finitePoints(history: readonly HistoryRecord[], key: keyof HistoryRecord): [number, number][] {
  return history
    .filter((h) => typeof h[key] === 'number' && Number.isFinite(h[key] as number))
    .map((h) => [h.epoch, h[key] as number]);
}

interface Axes {
  x: number;
  y: number;
  w: number;
  h: number;
  yTicks: number[];
  toX(e: number): number;
  toY(v: number): number;
}

function axesFor(left: number, plotHeight: number, width: number, epochRange: [number, number], yRange: [number, number]): Axes {
  const x = left + MARGIN.left;
  const y = MARGIN.top;
  const w = width - MARGIN.left - MARGIN.right;
  const h = plotHeight;
  const yTicks = niceTicks(yRange[0], yRange[1], 5);
  const [lo, hi] = [yTicks[0], yTicks[yTicks.length - 1]];
  const [e0, e1] = epochRange;
  // One epoch still gets a visible axis: centre it.
  const toX = (e: number): number => (e1 > e0 ? x + ((e - e0) / (e1 - e0)) * w : x + w / 2);
  const toY = (v: number): number => y + h - ((v - lo) / (hi - lo)) * h;
  return { x, y, w, h, yTicks, toX, toY };
}

/** The value range to show: the data with a little room, but never below 0 for data that never is
 * (a loss), so the axis does not invent negative values. */
function valueRangeOf(series: Series[]): [number, number] {
  const values = series.flatMap((s) => s.points.map((p) => p[1]));
  if (!values.length) return [0, 1];
  const [v0, v1] = [Math.min(...values), Math.max(...values)];
  const pad = (v1 - v0) * 0.08 || Math.abs(v1) * 0.1 || 0.1;
  return [v0 >= 0 ? Math.max(0, v0 - pad) : v0 - pad, v1 + pad];
}

function overlaps(a: Box, px: number, py: number, reach: number): boolean {
  return px + reach >= a.x && px - reach < a.x + a.width && py + reach >= a.y && py - reach < a.y + a.height;
}

/** Whether any curve (its lines or its markers, with some clearance) would be drawn inside `box`. */
function touchesCurves(box: Box, series: Series[], axes: Axes): boolean {
  const reach = MARKER + LEGEND_CLEARANCE;
  for (const s of series) {
    const pts = s.points.map(([e, v]) => [axes.toX(e), axes.toY(v)]);
    if (pts.some(([px, py]) => overlaps(box, px, py, reach))) return true;
    for (let i = 1; i < pts.length; i++) {
      const [[x0, y0], [x1, y1]] = [pts[i - 1], pts[i]];
      // The same pixel walk Canvas.line makes.
      const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
      for (let k = 0; k <= steps; k++) {
        if (overlaps(box, x0 + ((x1 - x0) * k) / steps, y0 + ((y1 - y0) * k) / steps, LINE + LEGEND_CLEARANCE)) return true;
      }
    }
  }
  return false;
}

function legendSize(series: Series[], horizontal: boolean): { width: number; height: number } {
  const entry = (s: Series): number => 32 + textWidth(s.label);
  if (horizontal) return { width: series.reduce((sum, s) => sum + entry(s) + 8, 0), height: LEGEND_ROW + 6 };
  return { width: Math.max(...series.map(entry)) + 8, height: series.length * LEGEND_ROW + 8 };
}

/** The first corner of the plot area (top right, bottom right, top left, bottom left) that no curve
 * passes through, or undefined when every corner is taken. */
function freeCorner(series: Series[], axes: Axes): Box | undefined {
  const { width, height } = legendSize(series, false);
  const inset = 6;
  const right = axes.x + axes.w - width - inset;
  const left = axes.x + inset + 2;
  const top = axes.y + inset;
  const bottom = axes.y + axes.h - height - inset;
  const corners: Box[] = [
    { x: right, y: top, width, height },
    { x: right, y: bottom, width, height },
    { x: left, y: top, width, height },
    { x: left, y: bottom, width, height },
  ];
  return corners.find((c) => !touchesCurves(c, series, axes));
}

function drawLegend(canvas: Canvas, box: Box, series: Series[], horizontal: boolean): void {
  canvas.fillRect(box.x, box.y, box.width, box.height, [255, 255, 255]);
  canvas.strokeRect(box.x, box.y, box.width, box.height, GREY);
  let ex = box.x;
  series.forEach((s, i) => {
    const ly = horizontal ? box.y + 6 : box.y + 6 + i * LEGEND_ROW;
    canvas.line(ex + 6, ly + 3, ex + 24, ly + 3, s.color, LINE);
    canvas.fillRect(ex + 12, ly, 2 * MARKER + 1, 2 * MARKER + 1, s.color);
    canvas.text(ex + 32, ly - 1 + Math.floor((7 - textHeight()) / 2) + 1, s.label, BLACK);
    if (horizontal) ex += 32 + textWidth(s.label) + 8;
  });
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
  const yRange = valueRange ?? valueRangeOf(series);
  const fullHeight = canvas.height - MARGIN.top - MARGIN.bottom;
  let axes = axesFor(left, fullHeight, width, epochRange, yRange);
  let legend = series.length ? freeCorner(series, axes) : undefined;
  const below = series.length > 0 && !legend;
  if (below) {
    // Every corner has a curve in it: give the legend its own row under the panel instead.
    axes = axesFor(left, fullHeight - LEGEND_BELOW, width, epochRange, yRange);
    const size = legendSize(series, true);
    legend = { x: Math.round(axes.x + (axes.w - size.width) / 2), y: canvas.height - size.height - 4, ...size };
  }
  const { x, y, w, h, yTicks, toX, toY } = axes;
  const xTicks = epochTicks(epochRange[0], epochRange[1]);

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
      canvas.line(toX(a[0]), toY(a[1]), toX(b[0]), toY(b[1]), s.color, LINE);
    }
    for (const [e, v] of s.points) canvas.fillRect(Math.round(toX(e)) - MARKER, Math.round(toY(v)) - MARKER, 2 * MARKER + 1, 2 * MARKER + 1, s.color);
  }

  const geometry: PanelGeometry = { x, y, width: w, height: h, yTicks, toX, toY };
  if (!series.length) {
    const note = 'no finite values';
    canvas.text(x + (w - textWidth(note)) / 2, y + h / 2, note, GREY);
    return geometry;
  }
  drawLegend(canvas, legend!, series, below);
  return { ...geometry, legend };
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
