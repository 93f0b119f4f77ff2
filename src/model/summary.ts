/**
 * Keras 3's model.summary() for a Sequential model, character for character: the rich table
 * (box.HEAVY_HEAD, one rule between rows), its column widths, Python's number formatting, and the
 * totals. Also the same facts as JSON for `cnn summary --json`.
 */
import { totalmem } from 'node:os';
import type { ModelConfig } from './config.js';
import { groupThousands, pythonFixed, pythonRound } from './format-number.js';
import { modelParams } from './params.js';
import { formatShapeTuple } from './shapes.js';
import { estimateMemory, formatBytes } from './validate-memory.js';
import { CnnError } from '../errors.js';
import { paintSpans, wrapCell, wrapConsole, type Spans } from './rich-text.js';

export interface OptimizerInfo {
  type: string;
  slots: number; // state buffers per trainable value: rmsprop/sgd+momentum 1, adam 2, plain sgd 0
}

export interface SummaryOptions {
  /** Terminal width; undefined means not a terminal (Python's fallback of 80 columns). */
  columns?: number;
  /** Present when the weights hold optimizer state: adds Keras's "Optimizer params" line. */
  optimizer?: OptimizerInfo;
  /** ANSI colours as Keras shows them in a terminal (never changes the characters shown). */
  color?: boolean;
}

const BYTES_PER_PARAM = 4; // float32
// Keras's optimizer always holds `iterations` (int64) and `learning_rate` (float32).
const OPTIMIZER_SCALARS = 2;
const OPTIMIZER_SCALAR_BYTES = 8 + 4;

/** keras.src.utils.summary_utils.readable_memory_size. */
export function readableMemorySize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let size = bytes;
  for (const unit of units) {
    if (size / 1024 < 1) return `${pythonFixed(size, 2)} ${unit}`;
    size /= 1024;
  }
  return `${pythonFixed(size, 2)} ${units[units.length - 1]}`;
}

/** Keras: line_length = min(88, terminal columns - 4), where Python falls back to 80 columns. */
export function summaryLineLength(columns?: number): number {
  const cols = columns && columns > 0 ? columns : 80;
  return Math.min(88, cols - 4);
}

/** rich's ratio_reduce: takes `total` away from `values`, spread by `ratios`, Python rounding. */
function ratioReduce(total: number, ratios: number[], maximums: number[], values: number[]): number[] {
  const r = ratios.map((ratio, i) => (maximums[i] ? ratio : 0));
  let totalRatio = r.reduce((a, b) => a + b, 0);
  if (!totalRatio) return [...values];
  let remaining = total;
  return values.map((value, i) => {
    if (!r[i] || totalRatio <= 0) return value;
    const distributed = Math.min(maximums[i], pythonRound((r[i] * remaining) / totalRatio));
    remaining -= distributed;
    totalRatio -= r[i];
    return value - distributed;
  });
}

/**
 * The width of each box segment (cell plus its one-space padding on both sides). Keras sets the
 * columns to 45%, 80% and 100% of the line; rich then adds the padding, finds the table 10
 * characters too wide for line_length - 4 (its 4 border characters), and takes them back evenly.
 */
export function summaryColumnWidths(lineLength: number): number[] {
  const widths: number[] = [];
  let current = 0;
  for (const pos of [0.45, 0.8, 1.0]) {
    const w = Math.floor(pos * lineLength) - current;
    // Keras's own check (summary_utils.print_summary), raised under 20 terminal columns.
    if (w < 4) throw new CnnError('ERR_TERMINAL_WIDTH', `Insufficient console width to print summary (${lineLength + 4} columns; the summary needs at least 20).`);
    widths.push(w);
    current += w;
  }
  const measured = widths.map((w) => w + 2);
  const maxWidth = lineLength - 4;
  const total = measured.reduce((a, b) => a + b, 0);
  if (total <= maxWidth) return measured;
  return ratioReduce(total - maxWidth, [1, 1, 1], measured, measured).map((w, i) => Math.min(w, measured[i]));
}

type Align = 'left' | 'right';
type Paint = (text: string) => string;

const ansi = (code: string): Paint => (s) => `\u001b[${code}m${s}\u001b[0m`;
const bold = ansi('1');
// Keras's theme (summary_utils): numbers colour(34), None colour(45), class names colour(33).
const NUMBER = '38;5;34';
const NONE = '38;5;45';
const SYMBOL = '38;5;33';

/** Keras highlights each dimension of a shape on its own: the digits and None, never the commas. */
function shapeSpans(text: string): Spans {
  return [...text.matchAll(/None|\d+/g)].map((m) => [m.index!, m.index! + m[0].length, m[0] === 'None' ? NONE : NUMBER]);
}

interface Cell {
  text: string;
  spans: Spans;
}

/**
 * One table row; rich aligns the header's cells to the bottom of the row and the others to the top.
 * A header cell is bold including its padding; a body cell colours only its spans' characters.
 */
function renderRow(cells: Cell[], widths: number[], align: Align[], edge: string, color: boolean, header = false): string[] {
  const wrapped = cells.map((c, i) => wrapCell(c.text, widths[i] - 2, align[i]));
  const height = Math.max(...wrapped.map((w) => w.length));
  const out: string[] = [];
  for (let r = 0; r < height; r++) {
    const parts = wrapped.map((lines, i) => {
      const line = lines[header ? r - (height - lines.length) : r];
      const blank = ' '.repeat(widths[i] - 2);
      if (!color) return ` ${line?.text ?? blank} `;
      // rich writes a blank line of a bottom-aligned header cell as one bold run, padding included.
      if (header) return line ? `${bold(' ')}${bold(line.text)}${bold(' ')}` : bold(` ${blank} `);
      if (!line) return ` ${blank} `;
      const content = line.text.slice(line.lead, line.lead + line.length);
      const painted = paintSpans(content, line.start, cells[i].spans);
      return ` ${line.text.slice(0, line.lead)}${painted}${line.text.slice(line.lead + line.length)} `;
    });
    out.push(`${edge}${parts.join(edge)}${edge}`);
  }
  return out;
}

function rule(widths: number[], left: string, fill: string, cross: string, right: string): string {
  return `${left}${widths.map((w) => fill.repeat(w)).join(cross)}${right}`;
}

export interface SummaryLayer {
  name: string;
  type: string;
  output_shape: (number | null)[];
  params: number;
}

export interface SummaryJson {
  name: string;
  layers: SummaryLayer[];
  total_params: number;
  trainable_params: number;
  non_trainable_params: number;
  optimizer_params?: number;
}

/** The facts the summary shows. total_params includes the optimizer's, as Keras's Total line does. */
export function summaryJson(config: ModelConfig, optimizer?: OptimizerInfo): SummaryJson {
  const p = modelParams(config);
  const out: SummaryJson = {
    name: config.name,
    layers: config.layers.map((layer, i) => ({
      name: layer.name,
      type: layer.type,
      output_shape: [null, ...p.shapes[i].output],
      params: p.layers[i].total,
    })),
    total_params: p.total,
    trainable_params: p.trainable,
    non_trainable_params: p.nonTrainable,
  };
  if (optimizer) {
    out.optimizer_params = optimizer.slots * p.trainable + OPTIMIZER_SCALARS;
    out.total_params += out.optimizer_params;
  }
  return out;
}

/** The summary text, ending with a newline. */
export function formatSummary(config: ModelConfig, options: SummaryOptions = {}): string {
  const facts = summaryJson(config, options.optimizer);
  const widths = summaryColumnWidths(summaryLineLength(options.columns));
  const color = options.color === true;
  const align: Align[] = ['left', 'left', 'right'];
  const consoleWidth = options.columns && options.columns > 0 ? options.columns : 80;
  // Console.print wraps the title and the totals at the terminal's width (fold, as rich does).
  const printed = (text: string, spans: Spans = []): string[] => wrapConsole(text, consoleWidth).map((l) => (color ? paintSpans(l.text, l.start, spans) : l.text));
  const title = `Model: "${config.name}"`;
  const lines: string[] = printed(title, [[0, title.length, '1']]);
  lines.push(rule(widths, '┏', '━', '┳', '┓'));
  const plain = (text: string): Cell => ({ text, spans: [] });
  lines.push(...renderRow([plain('Layer (type)'), plain('Output Shape'), plain('Param #')], widths, align, '┃', color, true));
  lines.push(rule(widths, '┡', '━', '╇', '┩'));
  facts.layers.forEach((layer, i) => {
    if (i > 0) lines.push(rule(widths, '├', '─', '┼', '┤'));
    const shape = formatShapeTuple(layer.output_shape.slice(1) as number[]);
    const params = groupThousands(layer.params);
    const cells: Cell[] = [
      { text: `${layer.name} (${layer.type})`, spans: [[layer.name.length + 2, layer.name.length + 2 + layer.type.length, SYMBOL]] },
      { text: shape, spans: shapeSpans(shape) },
      { text: params, spans: [[0, params.length, NUMBER]] },
    ];
    lines.push(...renderRow(cells, widths, align, '│', color));
  });
  lines.push(rule(widths, '└', '─', '┴', '┘'));

  const optimizerBytes = facts.optimizer_params === undefined ? 0 : (facts.optimizer_params - OPTIMIZER_SCALARS) * BYTES_PER_PARAM + OPTIMIZER_SCALAR_BYTES;
  const trainableBytes = facts.trainable_params * BYTES_PER_PARAM;
  const nonTrainableBytes = facts.non_trainable_params * BYTES_PER_PARAM;
  const total = (label: string, count: number, bytes: number): string[] => {
    const head = ` ${label}: `;
    const n = groupThousands(count);
    const text = `${head}${n} (${readableMemorySize(bytes)})`;
    return printed(text, [[0, head.length, '1'], [head.length, head.length + n.length, NUMBER]]);
  };
  lines.push(...total('Total params', facts.total_params, trainableBytes + nonTrainableBytes + optimizerBytes));
  lines.push(...total('Trainable params', facts.trainable_params, trainableBytes));
  lines.push(...total('Non-trainable params', facts.non_trainable_params, nonTrainableBytes));
  if (facts.optimizer_params !== undefined) lines.push(...total('Optimizer params', facts.optimizer_params, optimizerBytes));
  return `${lines.join('\n')}\n`;
}

/**
 * The line `cnn summary` prints after Keras's table (which stays Keras's, character for character):
 * the memory the native core will allocate to train at the config's batch_size.
 */
export function formatMemoryLine(config: ModelConfig, available = totalmem()): string {
  const e = estimateMemory(config);
  const tooLarge = e.bytes > available ? `; more than this machine's ${formatBytes(available)}: cnn train refuses it` : '';
  return ` Estimated training memory: ${formatBytes(e.bytes)} at batch_size ${e.batchSize} (largest: ${e.largest.name} (${e.largest.type}), ${formatBytes(e.largest.bytes)})${tooLarge}\n`;
}

/** The same for `cnn summary --json`. */
export function memoryJson(config: ModelConfig): { bytes: number; batch_size: number; largest_layer: string; largest_layer_bytes: number } {
  const e = estimateMemory(config);
  return { bytes: e.bytes, batch_size: e.batchSize, largest_layer: e.largest.name, largest_layer_bytes: e.largest.bytes };
}
