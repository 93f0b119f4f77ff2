/**
 * rich's layout of Keras's summary without Python: the golden files are real Keras 3.15's
 * model.summary() (test/python/keras_summary.py '["합성곱_층 [1]", "평탄화", "dense layer (out)"]'
 * with COLUMNS=40 / 30, and CNN_FORCE_TERMINAL=1 for the colour one).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cellLen } from '../src/model/rich-text.js';
import { formatSummary } from '../src/model/summary.js';
import { validateConfig } from '../src/model/validate.js';
import { packageRoot } from '../src/version.js';

const golden = (name: string): string => readFileSync(join(packageRoot, 'test', 'golden', name), 'utf8');
const model = () =>
  validateConfig({
    input_shape: [28, 28, 1],
    layers: [
      { type: 'Conv2D', filters: 4, kernel_size: 3, name: '합성곱_층 [1]' },
      { type: 'Flatten', name: '평탄화' },
      { type: 'Dense', units: 10, activation: 'softmax', name: 'dense layer (out)' },
    ],
    dataset: 'mnist',
  });

test('wide characters take 2 columns, combining marks none', () => {
  assert.equal(cellLen('합성곱_층'), 9);
  assert.equal(cellLen('畳み込み'), 8);
  assert.equal(cellLen('e\u0301'), 1);
});

test('Korean layer names at 40 and 30 columns: Keras\'s text, header cells aligned to the bottom, totals wrapped', () => {
  assert.equal(formatSummary(model(), { columns: 40 }), golden('summary-korean-40.txt'));
  assert.equal(formatSummary(model(), { columns: 30 }), golden('summary-korean-30.txt'));
});

test('in colour: bold title, header and labels; only the digits and None of a shape coloured', () => {
  assert.equal(formatSummary(model(), { columns: 40, color: true }), golden('summary-korean-40-color.txt'));
});

test('under 20 columns: Keras\'s "Insufficient console width"', () => {
  assert.throws(() => formatSummary(model(), { columns: 19 }), /^CnnError: Insufficient console width to print summary/);
  assert.ok(formatSummary(model(), { columns: 20 }).startsWith('Model: "sequential"\n'));
});
