import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePng, renderConfusion, renderHistoryPlot, writeConfusionPng, writeHistoryPlot } from '../src/viz/index.js';
import { heatColor } from '../src/viz/colors.js';
import { featureMapTiles, filterTiles } from '../src/viz/sheet-data.js';
import { renderSheet } from '../src/viz/sheet.js';
import { readHistoryFile } from '../src/cli/commands/plot.js';
import { SERIES_COLORS } from '../src/viz/colors.js';
import { contentRightEdge, pixelAt, readText } from './helpers/png-read.js';

const dir = mkdtempSync(join(tmpdir(), 'cnn-viz-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const history = [1, 2, 3, 4].map((epoch) => ({
  epoch,
  loss: 1 / epoch,
  accuracy: 0.7 + 0.05 * epoch,
  val_loss: 1.2 / epoch,
  val_accuracy: 0.68 + 0.05 * epoch,
}));

test('the history plot decodes as a PNG of the documented size with each point where the data puts it', async () => {
  const path = join(dir, 'history.png');
  await writeHistoryPlot(history, path);
  const png = decodePng(readFileSync(path));
  const { canvas, loss, accuracy } = renderHistoryPlot(history);
  assert.equal(png.width, canvas.width);
  assert.equal(png.height, canvas.height);
  const pixel = (x: number, y: number) => {
    const i = (Math.round(y) * png.width + Math.round(x)) * 4;
    return [png.data[i], png.data[i + 1], png.data[i + 2]];
  };
  for (const h of history) {
    assert.deepEqual(pixel(loss.toX(h.epoch), loss.toY(h.loss)), [...SERIES_COLORS.train], `training loss marker at epoch ${h.epoch}`);
    assert.deepEqual(pixel(accuracy.toX(h.epoch), accuracy.toY(h.val_accuracy)), [...SERIES_COLORS.validation], `validation accuracy at epoch ${h.epoch}`);
  }
  // Falling loss is drawn going down the panel (larger y), rising accuracy going up.
  assert.ok(loss.toY(history[3].loss) > loss.toY(history[0].loss));
  assert.ok(accuracy.toY(history[3].accuracy) < accuracy.toY(history[0].accuracy));
});

// The shape of a full mnist.json run: the training loss falls close to 0, the accuracy close to 1.
const mnistLike = [0.2, 0.07, 0.05, 0.04, 0.03, 0.025, 0.02, 0.017, 0.014, 0.012].map((loss, i) => ({
  epoch: i + 1,
  loss,
  accuracy: [0.94, 0.978, 0.985, 0.988, 0.99, 0.992, 0.994, 0.995, 0.996, 0.997][i],
  val_loss: [0.09, 0.065, 0.055, 0.05, 0.048, 0.047, 0.05, 0.052, 0.055, 0.058][i],
  val_accuracy: [0.972, 0.98, 0.984, 0.986, 0.987, 0.987, 0.986, 0.987, 0.986, 0.986][i],
}));

type Panel = ReturnType<typeof renderHistoryPlot>['loss'];
type Png = ReturnType<typeof decodePng>;

/** The value labels printed left of a panel's axis, top to bottom, as the PNG shows them. */
function yAxisLabels(png: Png, panelLeft: number, panel: Panel): string[] {
  return readText(png, panelLeft, panel.x - 1, panel.y - 8, panel.y + panel.height + 5).map((l) => l.text);
}

/** Every plotted marker of a panel (both series), as the 7x7 squares drawn. */
function markers(records: typeof mnistLike, panel: Panel, keys: ('loss' | 'accuracy' | 'val_loss' | 'val_accuracy')[]) {
  return records.flatMap((h) => keys.map((key) => ({ key, epoch: h.epoch, x: Math.round(panel.toX(h.epoch)), y: Math.round(panel.toY(h[key])) })));
}

function assertLegendClear(png: Png, panel: Panel, keys: ('loss' | 'accuracy' | 'val_loss' | 'val_accuracy')[], records: typeof mnistLike, what: string): void {
  // In the picture every marker is there in a series colour, not painted over by the legend.
  for (const m of markers(records, panel, keys)) {
    const colour = pixelAt(png, m.x, m.y).join();
    assert.ok([SERIES_COLORS.train.join(), SERIES_COLORS.validation.join()].includes(colour), `${what}: the ${m.key} marker of epoch ${m.epoch} is hidden (found ${colour})`);
  }
  const box = panel.legend;
  assert.ok(box, `${what}: a legend is drawn`);
  for (const m of markers(records, panel, keys)) {
    const apart = m.x + 3 < box.x || m.x - 3 >= box.x + box.width || m.y + 3 < box.y || m.y - 3 >= box.y + box.height;
    assert.ok(apart, `${what}: the legend (${JSON.stringify(box)}) covers the ${m.key} marker of epoch ${m.epoch} at (${m.x}, ${m.y})`);
  }
  // No curve crosses the legend's edge: the 2-pixel ring around the box has no series colour (a
  // curve under the legend would have to cross it; one wholly inside would have its markers there).
  const series = new Set([SERIES_COLORS.train.join(), SERIES_COLORS.validation.join()]);
  for (let y = box.y - 2; y < box.y + box.height + 2; y++) {
    for (let x = box.x - 2; x < box.x + box.width + 2; x++) {
      const inside = x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
      if (!inside) assert.ok(!series.has(pixelAt(png, x, y).join()), `${what}: a curve runs under the legend at (${x}, ${y})`);
    }
  }
}

test('the loss axis of an MNIST-like history starts at 0, never below (a loss is never negative)', () => {
  const { canvas, loss } = renderHistoryPlot(mnistLike);
  const png = decodePng(canvas.toPng());
  const labels = yAxisLabels(png, 0, loss);
  assert.ok(labels.length >= 3, `the loss axis has tick labels: ${labels.join(', ')}`);
  const values = labels.map(Number);
  assert.ok(values.every(Number.isFinite), `tick labels read as numbers: ${labels.join(', ')}`);
  const lowest = values[values.length - 1];
  assert.ok(lowest >= 0, `the lowest loss tick is ${labels[labels.length - 1]}: the axis runs below zero`);
  assert.ok(lowest <= Math.min(...mnistLike.map((h) => h.loss)), 'the axis still reaches down to the smallest loss');
  // Ticks read downwards in order, the labels being what the axis uses.
  assert.deepEqual(values, [...values].sort((a, b) => b - a));
  assert.deepEqual(values.reverse(), loss.yTicks);
});

test('the legend of each panel sits where no curve is: the accuracy curve near 1 stays visible', () => {
  const { canvas, loss, accuracy } = renderHistoryPlot(mnistLike);
  const png = decodePng(canvas.toPng());
  assertLegendClear(png, accuracy, ['accuracy', 'val_accuracy'], mnistLike, 'accuracy panel');
  assertLegendClear(png, loss, ['loss', 'val_loss'], mnistLike, 'loss panel');
  // The accuracy legend moved off the curve, still inside the panel.
  assert.ok(accuracy.legend!.y + accuracy.legend!.height <= accuracy.y + accuracy.height);
});

test('when curves fill every corner of a panel the legend goes below it, clear of the epoch axis', () => {
  const zigzag = Array.from({ length: 30 }, (_, i) => ({ epoch: i + 1, loss: 1 / (i + 1), accuracy: i % 2 ? 0 : 1, val_loss: 1.2 / (i + 1), val_accuracy: i % 2 ? 1 : 0 }));
  const { canvas, accuracy } = renderHistoryPlot(zigzag);
  const png = decodePng(canvas.toPng());
  const box = accuracy.legend!;
  assert.ok(box.y > accuracy.y + accuracy.height + 24 + 7, `the legend ${JSON.stringify(box)} is under the "epoch" label`);
  assert.ok(box.y + box.height <= canvas.height && box.x >= canvas.width / 2 && box.x + box.width <= canvas.width);
  assertLegendClear(png, accuracy, ['accuracy', 'val_accuracy'], zigzag, 'zigzag accuracy panel');
  assert.deepEqual(pixelAt(png, box.x, box.y), [128, 128, 128], 'the legend has its frame');
});

test('the history plot without validation has no validation colour, and an empty history is refused', () => {
  const { canvas } = renderHistoryPlot(history.map(({ epoch, loss, accuracy }) => ({ epoch, loss, accuracy })));
  let orange = 0;
  for (let y = 0; y < canvas.height; y++) for (let x = 0; x < canvas.width; x++) if (canvas.getPixel(x, y).join() === SERIES_COLORS.validation.join()) orange++;
  assert.equal(orange, 0);
  assert.throws(() => renderHistoryPlot([]), /history is empty/);
});

test('cnn plot reads the history JSON written beside the weights, NaN stored as null', async () => {
  const path = join(dir, 'w.history.json');
  writeFileSync(path, JSON.stringify({ history: [{ epoch: 1, loss: null, accuracy: 0.5, seconds: 1 }, { epoch: 2, loss: 0.4, accuracy: 0.6 }] }));
  const records = await readHistoryFile(path);
  assert.ok(Number.isNaN(records[0].loss));
  assert.equal(records[1].loss, 0.4);
  writeFileSync(path, '{"history": [{"epoch": 1, "loss": "x"}]}');
  await assert.rejects(readHistoryFile(path), /history\[0\]\.loss must be a number/);
});

test('the confusion heat map colours each cell by its share of the row and fits every class name', async () => {
  const names = ['T-shirt/top', 'Trouser', 'Pullover'];
  const confusion = [
    [90, 10, 0],
    [0, 50, 0],
    [5, 5, 10],
  ];
  const path = join(dir, 'confusion.png');
  await writeConfusionPng(confusion, names, path);
  const png = decodePng(readFileSync(path));
  const { canvas, x, y, cell } = renderConfusion(confusion, names);
  assert.equal(png.width, canvas.width);
  assert.equal(png.height, canvas.height);
  const cellColor = (r: number, c: number) => {
    // A corner of the cell, clear of the count written in its middle and of the white grid lines.
    const px = x + c * cell + 2;
    const py = y + r * cell + 2;
    const i = (py * png.width + px) * 4;
    return [png.data[i], png.data[i + 1], png.data[i + 2]];
  };
  assert.deepEqual(cellColor(0, 0), [...heatColor(0.9)]);
  assert.deepEqual(cellColor(1, 1), [...heatColor(1)]);
  assert.deepEqual(cellColor(1, 0), [...heatColor(0)]);
  assert.deepEqual(cellColor(2, 2), [...heatColor(0.5)]);
  // Longer class names get a wider label column rather than being cut off.
  assert.ok(renderConfusion(confusion, ['a', 'b', 'a much longer class name']).x > renderConfusion(confusion, ['a', 'b', 'c']).x);
  assert.throws(() => renderConfusion([[1, 2]], ['a']), /must be square/);
  assert.throws(() => renderConfusion([[1]], ['a', 'b']), /2 class names for a 1x1/);
});

test('a constant filter renders uniform and a feature map keeps its brightest pixel where the data has it', () => {
  // Kernel (3, 3, 1, 2): filter 0 constant, filter 1 a single bright centre.
  const kernel = new Float32Array(18);
  for (let p = 0; p < 9; p++) {
    kernel[p * 2] = 0.7;
    kernel[p * 2 + 1] = p === 4 ? 1 : -1;
  }
  const { tiles } = filterTiles(kernel, [3, 3, 1, 2], 'mean', true);
  const map = new Float32Array(4 * 5 * 2); // (4, 5, 2) output: channel 1 peaks at (2, 3)
  map[(2 * 5 + 3) * 2 + 1] = 5;
  const canvas = renderSheet({ header: ['test'], image: { height: 2, width: 2, values: Float32Array.of(0, 255, 255, 0), rgb: false, range: [0, 255] }, sections: [
    { title: 'filters', tiles, scale: 10 },
    { title: 'maps', tiles: featureMapTiles(map, [4, 5, 2], false), scale: 10 },
  ] });
  const png = decodePng(canvas.toPng());
  // The sheet is as wide as its content (here the header line), with the 12-pixel margin.
  const margin = png.width - 1 - contentRightEdge(png, 12);
  assert.ok(margin >= 11 && margin <= 15, `the sheet ends ${margin} pixels after its content`);
  const grid = (tileIndex: number, sectionTop: number, tileW: number) => (ty: number, tx: number) => {
    const cellW = Math.max(tileW * 10, 17) + 4;
    const px = 12 + tileIndex * cellW + tx * 10 + 5;
    const py = sectionTop + 20 + ty * 10 + 5;
    const i = (py * png.width + px) * 4;
    return png.data[i];
  };
  // Find the section tops from the layout: header height then the filter section.
  const headerH = Math.max(2 * 70, 4 * 14) + 24;
  const f0 = grid(0, headerH, 3);
  const f1 = grid(1, headerH, 3);
  const constant = new Set([0, 1, 2].flatMap((r) => [0, 1, 2].map((c) => f0(r, c))));
  assert.equal(constant.size, 1, 'a constant filter is one grey level');
  assert.equal(f1(1, 1), 255);
  assert.equal(f1(0, 0), 0);
  const filterSectionH = 20 + (30 + 10 + 4) + 12;
  const m1 = grid(1, headerH + filterSectionH, 5);
  assert.equal(m1(2, 3), 255, 'the peak is white');
  assert.equal(m1(0, 0), 0, 'the rest of the map is black');
  const m0 = grid(0, headerH + filterSectionH, 5);
  assert.equal(m0(2, 3), 0, 'an all-zero map (a feature found nowhere) is black');
});

test('--filters all: a filter with more input channels than fit in a row continues on the next rows, each filter starting a row', () => {
  // 2 filters x 30 input channels of 3x3: at 14 screen pixels a cell, 30 tiles do not fit in a row.
  const tile = (bright: number) => {
    const values = new Float32Array(9);
    values[bright] = 1;
    return { height: 3, width: 3, values, rgb: false };
  };
  const tiles = Array.from({ length: 60 }, (_, k) => ({ ...tile(k === 30 ? 0 : 8), caption: k % 30 === 0 ? String(k / 30) : undefined }));
  const canvas = renderSheet({ header: ['grid'], image: { height: 2, width: 2, values: Float32Array.of(0, 255, 255, 0), rgb: false, range: [0, 255] }, sections: [{ title: 'filters', tiles, scale: 14, columns: 30 }] });
  const png = decodePng(canvas.toPng());
  const headerH = Math.max(2 * 70, 14) + 24;
  const cellW = 3 * 14 + 4;
  const cellH = 3 * 14 + 10 + 4;
  // Filter 1's first tile (the only one lit top-left) opens the third row: filter 0 took two rows of 15.
  const at = (row: number, column: number, cy: number, cx: number) => pixelAt(png, 12 + column * cellW + cx * 14 + 7, headerH + 20 + row * cellH + cy * 14 + 7)[0];
  assert.equal(at(2, 0, 0, 0), 255, 'filter 1, channel 0 starts row 3');
  assert.equal(at(2, 0, 2, 2), 0);
  assert.equal(at(1, 14, 2, 2), 255, 'filter 0, channel 29 ends row 2');
  assert.equal(at(1, 14, 0, 0), 0);
  assert.ok(png.width < 12 + 16 * cellW + 12, 'the rows are 15 tiles, no wider');
});
