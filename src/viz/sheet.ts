/**
 * The visualization sheet of `cnn visualize`: the test image and the prediction, every convolution
 * layer's filters, and the feature maps each convolution and pooling layer makes for that image,
 * each section titled with the layer's name, type and shape (Keras's notation).
 */
import { basename } from 'node:path';
import { usageError } from '../errors.js';
import { datasetClasses, type LayerConfig, type ModelConfig } from '../model/config.js';
import { formatShapeTuple, inferShapes } from '../model/shapes.js';
import type { NativeNetwork } from '../native.js';
import { BLACK, Canvas, GREY, type Rgb } from './canvas.js';
import { greyColor, normalizer } from './colors.js';
import { textWidth } from './font.js';
import { featureMapTiles, filterTiles, imageTile, scaleFor, type FilterChannelMode, type SheetSection, type Tile } from './sheet-data.js';

/** The widest a sheet gets from its tiles: longer rows wrap (a long title may still widen it). */
export const SHEET_MAX_WIDTH = 1024;
const PAD = 12;
const GAP = 4;
const CAPTION = 10;
const TITLE = 20;
const SEPARATOR: Rgb = [200, 200, 200];
/** A one-pixel frame just outside each tile, so a tile whose edge is white (its maximum) keeps its
 * shape against the white sheet. */
const FRAME: Rgb = [160, 160, 160];
/** Room for the tiles of one row. */
const ROW_WIDTH = SHEET_MAX_WIDTH - 2 * PAD;
/** A caption ("63") never overlaps the next tile's. */
const MIN_CELL = textWidth('000');

/** Tile sizes in screen pixels: filters are a few pixels across (3x3, 5x5), so they are zoomed to
 * at least FILTER_MIN; feature maps to at least MAP_MIN. Then each section is zoomed further, as
 * far as its rows (as many as the smallest size needs) still fit, up to the ..._MAX sizes: few
 * tiles get large, and sections of many tiles come out about as wide as each other. */
const FILTER_MIN = 40;
const FILTER_MAX = 64;
const MAP_MIN = 48;
const MAP_MAX = 112;

/** The whole-pixel zoom for `count` tiles (per row of a grid) of `size` pixels across. */
export function tileScale(size: number, count: number, minPx: number, maxPx: number): number {
  const s = Math.max(1, size);
  const least = Math.max(1, Math.ceil(minPx / s));
  const most = Math.max(least, Math.floor(maxPx / s));
  const fit = Math.max(1, Math.floor((ROW_WIDTH + GAP) / (s * least + GAP)));
  const perRow = balancedRow(count, fit);
  const fill = Math.floor(((ROW_WIDTH + GAP) / Math.max(1, perRow) - GAP) / s);
  return Math.min(most, Math.max(least, fill));
}

export interface SheetOptions {
  /** Layer names to show; all convolution and pooling layers when empty. */
  layers?: string[];
  filterChannels?: FilterChannelMode;
  /** Where the image comes from, for the header ("fashion-mnist test image #0"). */
  imageLabel?: string;
  trueClass?: number;
  source?: string;
}

export interface SheetSpec {
  header: string[];
  image: Tile;
  sections: SheetSection[];
}

const SHOWN_TYPES = new Set(['Conv2D', 'MaxPooling2D', 'AveragePooling2D']);

function selectedLayers(config: ModelConfig, wanted: string[] | undefined): Set<string> {
  const shown = config.layers.filter((l) => SHOWN_TYPES.has(l.type)).map((l) => l.name);
  if (!wanted || wanted.length === 0) return new Set(shown);
  for (const name of wanted) {
    const layer = config.layers.find((l) => l.name === name);
    if (!layer) throw usageError('ERR_BAD_OPTION', `--layer ${name}: the model has no layer of that name; its convolution and pooling layers are ${shown.join(', ') || '(none)'}`);
    if (!SHOWN_TYPES.has(layer.type)) {
      throw usageError('ERR_BAD_OPTION', `--layer ${name}: is a ${layer.type} layer; only convolution and pooling layers have pictures (${shown.join(', ')})`);
    }
  }
  return new Set(wanted);
}

function describeLayer(layer: LayerConfig): string {
  return `${layer.name} (${layer.type})`;
}

/** Everything the sheet shows, computed from the network's parameters and its forward pass. */
export function buildSheet(config: ModelConfig, net: NativeNetwork, pixels: Uint8Array, options: SheetOptions = {}): SheetSpec {
  // The image as the dataset holds it (height, width, channels): a channels_first model's input_shape
  // is (channels, height, width).
  const s = config.input_shape;
  const conv = config.layers.find((l) => l.type === 'Conv2D');
  const channelsFirst = conv !== undefined && conv.type === 'Conv2D' && conv.data_format === 'channels_first';
  const [height, width, channels] = s.length === 3 ? (channelsFirst ? [s[1], s[2], s[0]] : s) : [s[0], 1, 1];
  const expected = config.input_shape.reduce((a, b) => a * b, 1);
  if (pixels.length !== expected) {
    throw usageError('ERR_BAD_OPTION', `the image has ${pixels.length} values but the model takes (${config.input_shape.join(', ')}) = ${expected}`);
  }
  const chosen = selectedLayers(config, options.layers);
  const shapes = inferShapes(config);
  const { rescale, offset } = config.preprocessing;
  const outputs = net.forwardAll(Float32Array.from(pixels, (p) => p * rescale + offset));
  const params = net.params();
  const kernelOf = (layer: string): { data: Float32Array; shape: number[] } | undefined => {
    const i = params.findIndex((p) => p.layer === layer && p.name === 'kernel');
    return i < 0 ? undefined : { data: net.getParam(i), shape: params[i].shape };
  };

  const sections: SheetSection[] = [];
  let firstConv = true;
  config.layers.forEach((layer, i) => {
    const isConv = layer.type === 'Conv2D';
    if (chosen.has(layer.name) && isConv) {
      const kernel = kernelOf(layer.name);
      if (kernel) {
        const [kh, kw, cin, cout] = kernel.shape;
        const mode = options.filterChannels ?? 'mean';
        const { tiles, columns } = filterTiles(kernel.data, kernel.shape, mode, firstConv);
        const how = cin === 1 ? '' : cin === 3 && firstConv ? ', as colour' : mode === 'mean' ? `, mean over ${cin} input channels` : `, a row per filter, a column per input channel`;
        const scale = tileScale(Math.max(kh, kw), columns ?? tiles.length, FILTER_MIN, FILTER_MAX);
        sections.push({ title: `${describeLayer(layer)} filters: ${cout} x ${kh}x${kw}x${cin}${how}`, tiles, scale, columns });
      }
    }
    if (isConv) firstConv = false;
    if (chosen.has(layer.name)) {
      const shape = shapes[i].output;
      const channelsFirst = isConv && layer.data_format === 'channels_first';
      const tiles = featureMapTiles(outputs[i], shape, channelsFirst);
      const hw = channelsFirst ? Math.max(shape[1], shape[2]) : Math.max(shape[0], shape[1]);
      sections.push({ title: `${describeLayer(layer)} feature maps ${formatShapeTuple(shape)}`, tiles, scale: tileScale(hw, tiles.length, MAP_MIN, MAP_MAX) });
    }
  });

  const probs = outputs[outputs.length - 1];
  let best = 0;
  for (let k = 1; k < probs.length; k++) if (probs[k] > probs[best]) best = k;
  const names = config.dataset ? datasetClasses(config.dataset).classNames : probs.length ? Array.from(probs, (_, k) => String(k)) : [];
  const nameOf = (k: number): string => names[k] ?? String(k);
  const header = [
    `${options.source ? basename(options.source) : config.name}: ${config.layers.length} layers, input ${formatShapeTuple(config.input_shape)}`,
    `${options.imageLabel ?? 'image'}${options.trueClass !== undefined ? `, true class ${nameOf(options.trueClass)}` : ''}`,
    `predicted ${nameOf(best)} (${(100 * probs[best]).toFixed(1)}%)`,
    'each map is scaled by its own min (black) and max (white)',
  ];
  return { header, image: imageTile(pixels, height, width, channels), sections };
}

function tileColor(tile: Tile, norm: (v: number) => number, index: number): Rgb {
  if (!tile.rgb) return greyColor(norm(tile.values[index]));
  const base = index * 3;
  return [0, 1, 2].map((c) => Math.round(Math.min(1, Math.max(0, norm(tile.values[base + c]))) * 255)) as unknown as Rgb;
}

function drawTile(canvas: Canvas, x: number, y: number, tile: Tile, scale: number): void {
  const norm = tile.range ? (v: number) => (v - tile.range![0]) / (tile.range![1] - tile.range![0]) : normalizer(tile.values);
  canvas.cells(x, y, tile.height, tile.width, scale, (r, c) => tileColor(tile, norm, r * tile.width + c));
}

interface PlacedSection {
  section: SheetSection;
  perRow: number;
  rows: number;
  cellW: number;
  cellH: number;
  /** The widest thing in the section: its title or its widest row of tiles. */
  width: number;
  height: number;
  /** Grid position (row, column) of tile k. */
  slot(k: number): [number, number];
}

/** Near-equal rows of at most `fit`: 64 tiles in 4 rows of 16, not 21, 21, 21 and 1. */
function balancedRow(count: number, fit: number): number {
  return Math.ceil(count / Math.ceil(Math.max(1, count) / fit));
}

function place(section: SheetSection): PlacedSection {
  const t = section.tiles[0];
  const n = section.tiles.length;
  const cellW = Math.max(t ? t.width * section.scale : 0, MIN_CELL) + GAP;
  const cellH = (t ? t.height * section.scale : 0) + CAPTION + GAP;
  const fit = Math.max(1, Math.floor((ROW_WIDTH + GAP) / cellW));
  let perRow: number;
  let rows: number;
  let slot: (k: number) => [number, number];
  if (section.columns) {
    // A grid (a row per filter, a column per input channel): a filter too wide for one row
    // continues on the next rows, and every filter starts a new row.
    const columns = section.columns;
    perRow = balancedRow(columns, fit);
    const rowsPerGroup = Math.ceil(columns / perRow);
    rows = Math.ceil(n / columns) * rowsPerGroup;
    slot = (k) => [Math.floor(k / columns) * rowsPerGroup + Math.floor((k % columns) / perRow), (k % columns) % perRow];
  } else {
    perRow = balancedRow(n, fit);
    rows = Math.ceil(n / perRow);
    slot = (k) => [Math.floor(k / perRow), k % perRow];
  }
  const tilesWidth = Math.min(perRow, n) * cellW - GAP;
  return { section, perRow, rows, cellW, cellH, width: Math.max(textWidth(section.title), tilesWidth), height: TITLE + rows * cellH + PAD, slot };
}

const HEADER_LINE = 16;

export function renderSheet(spec: SheetSpec): Canvas {
  const imageScale = scaleFor(Math.max(spec.image.height, spec.image.width), 140);
  const imageW = spec.image.width * imageScale;
  const imageH = spec.image.height * imageScale;
  const headerH = Math.max(imageH, spec.header.length * 14) + 2 * PAD;
  const textX = PAD + imageW + 16;
  const headerW = textX - PAD + Math.max(0, ...spec.header.map((line) => textWidth(line)));
  const placed = spec.sections.map(place);
  // As wide as the widest row (header, a title or a row of tiles), so no half of the sheet is empty.
  const width = Math.max(headerW, ...placed.map((p) => p.width)) + 2 * PAD;
  const total = headerH + placed.reduce((s, p) => s + p.height, 0) + PAD;
  const canvas = new Canvas(width, total);

  drawTile(canvas, PAD, PAD, spec.image, imageScale);
  spec.header.forEach((line, i) => canvas.text(textX, PAD + 4 + i * HEADER_LINE, line, i === spec.header.length - 1 ? GREY : BLACK));
  let y = headerH;
  for (const p of placed) {
    canvas.fillRect(PAD, y, width - 2 * PAD, 1, SEPARATOR);
    canvas.text(PAD, y + 6, p.section.title, BLACK);
    p.section.tiles.forEach((tile, k) => {
      const [row, column] = p.slot(k);
      const tx = PAD + column * p.cellW;
      const ty = y + TITLE + row * p.cellH;
      const [tw, th] = [tile.width * p.section.scale, tile.height * p.section.scale];
      canvas.strokeRect(tx - 1, ty - 1, tw + 2, th + 2, FRAME);
      drawTile(canvas, tx, ty, tile, p.section.scale);
      if (tile.caption !== undefined) canvas.text(tx, ty + th + 2, tile.caption, GREY);
    });
    y += p.height;
  }
  return canvas;
}
