/** `cnn summary` text: Keras 3's table widths, Python's number formatting, the golden outputs. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { groupThousands, pythonFixed, pythonRound } from '../src/model/format-number.js';
import { resolveConfig } from '../src/model/shipped.js';
import { formatSummary, readableMemorySize, summaryColumnWidths, summaryJson, summaryLineLength } from '../src/model/summary.js';
import { validateConfig } from '../src/model/validate.js';
import { packageRoot } from '../src/version.js';

const golden = (name: string): string => readFileSync(join(packageRoot, 'test', 'golden', name), 'utf8');
const mnist = () => resolveConfig('mnist.json').config;
const fashion = () => resolveConfig('fashion-mnist.json').config;

test("line length is min(88, columns - 4), 76 when not a terminal; segments 33/24/15 and 38/29/17", () => {
  assert.equal(summaryLineLength(undefined), 76);
  assert.equal(summaryLineLength(80), 76);
  assert.equal(summaryLineLength(92), 88);
  assert.equal(summaryLineLength(300), 88);
  assert.equal(summaryLineLength(70), 66);
  assert.deepEqual(summaryColumnWidths(76), [33, 24, 15]);
  assert.deepEqual(summaryColumnWidths(88), [38, 29, 17]);
  for (let columns = 30; columns <= 130; columns++) {
    const length = summaryLineLength(columns);
    const widths = summaryColumnWidths(length);
    assert.equal(widths.reduce((a, b) => a + b, 0), length - 4, `columns ${columns}`);
    // The table's lines (the title and the totals wrap at the terminal's width, as rich's do).
    for (const line of formatSummary(fashion(), { columns }).split('\n').filter((l) => /^[┏┃┡│├└]/.test(l))) {
      assert.equal([...line].length, length, `columns ${columns}: ${line}`);
    }
  }
});

test('the table matches the example in Keras (first rows and totals of seed 004)', () => {
  const lines = formatSummary(fashion()).split('\n');
  // Copied from Keras 3's output for this model (shared/keras-reference.md).
  assert.deepEqual(lines.slice(0, 8), [
    'Model: "sequential"',
    '┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓',
    '┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃',
    '┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩',
    '│ conv2d (Conv2D)                 │ (None, 26, 26, 32)     │           320 │',
    '├─────────────────────────────────┼────────────────────────┼───────────────┤',
    '│ max_pooling2d (MaxPooling2D)    │ (None, 13, 13, 32)     │             0 │',
    '├─────────────────────────────────┼────────────────────────┼───────────────┤',
  ]);
  assert.deepEqual(lines.slice(-4), [
    ' Total params: 93,322 (364.54 KB)',
    ' Trainable params: 93,322 (364.54 KB)',
    ' Non-trainable params: 0 (0.00 B)',
    '',
  ]);
  assert.ok(lines.includes('│ flatten (Flatten)               │ (None, 576)            │             0 │'));
});

test('golden summaries at 76 and 88 columns', () => {
  assert.equal(formatSummary(mnist()), golden('summary-mnist-76.txt'));
  assert.equal(formatSummary(mnist(), { columns: 92 }), golden('summary-mnist-88.txt'));
  assert.equal(formatSummary(fashion()), golden('summary-fashion-mnist-76.txt'));
  assert.equal(formatSummary(fashion(), { columns: 120 }), golden('summary-fashion-mnist-88.txt'));
});

test("seed 000 after training with RMSprop: Keras's totals and Optimizer params line", () => {
  const text = formatSummary(mnist(), { optimizer: { type: 'rmsprop', slots: 1 } });
  assert.equal(text, golden('summary-mnist-rmsprop-76.txt'));
  assert.deepEqual(text.split('\n').slice(-5, -1), [
    ' Total params: 406,138 (1.55 MB)',
    ' Trainable params: 203,068 (793.23 KB)',
    ' Non-trainable params: 0 (0.00 B)',
    ' Optimizer params: 203,070 (793.25 KB)',
  ]);
  const adam = summaryJson(fashion(), { type: 'adam', slots: 2 });
  assert.equal(adam.optimizer_params, 2 * 93322 + 2);
  assert.equal(adam.total_params, 3 * 93322 + 2);
  assert.equal(summaryJson(fashion(), { type: 'sgd', slots: 0 }).optimizer_params, 2);
});

test('sizes round like Python: exact ties to even, on the exact binary value', () => {
  assert.equal(pythonFixed(408.125, 2), '408.12'); // JavaScript's toFixed says 408.13
  assert.equal((408.125).toFixed(2), '408.13');
  assert.equal(pythonFixed(408.375, 2), '408.38');
  assert.equal(pythonFixed(0.125, 2), '0.12');
  assert.equal(pythonFixed(0.625, 2), '0.62');
  assert.equal(pythonFixed(0.875, 2), '0.88');
  assert.equal(pythonFixed(1.005, 2), '1.00'); // 1.005 is really 1.00499999999999989...: no tie
  assert.equal(pythonFixed(2.675, 2), '2.67');
  assert.equal(pythonFixed(0.5, 0), '0');
  assert.equal(pythonFixed(1.5, 0), '2');
  assert.equal(pythonFixed(2.5, 0), '2');
  assert.equal(pythonFixed(-0.125, 2), '-0.12');
  assert.equal(pythonFixed(793.2265625, 2), '793.23');
  assert.equal(pythonRound(3.5), 4);
  assert.equal(pythonRound(2.5), 2);
  assert.equal(pythonRound(10 / 3), 3);
  // 104,480 float32 params = 417,920 bytes = 408.125 KB exactly.
  assert.equal(readableMemorySize(104480 * 4), '408.12 KB');
  assert.equal(readableMemorySize(0), '0.00 B');
  assert.equal(readableMemorySize(1023), '1023.00 B');
  assert.equal(readableMemorySize(1024), '1.00 KB');
  assert.equal(readableMemorySize(93322 * 4), '364.54 KB');
  assert.equal(readableMemorySize(1024 ** 3 * 3), '3.00 GB');
  assert.equal(groupThousands(406138), '406,138');
  assert.equal(groupThousands(999), '999');
  assert.equal(groupThousands(1000000), '1,000,000');
});

test('a model whose size is an exact tie prints the Python digits in its totals', () => {
  // 104,480 params = 408.125 KB exactly: Flatten (None, 4) -> Dense 20896 (4*20896 + 20896).
  const c = validateConfig({
    input_shape: [2, 2, 1],
    layers: [{ type: 'Flatten' }, { type: 'Dense', units: 20896, activation: 'softmax' }],
  });
  assert.match(formatSummary(c), / Total params: 104,480 \(408\.12 KB\)/);
});

test('non-trainable params (BatchNormalization) and the JSON form', () => {
  const c = validateConfig({
    input_shape: [8, 8, 1],
    layers: [
      { type: 'Conv2D', filters: 4, kernel_size: 3 },
      { type: 'BatchNormalization' },
      { type: 'GlobalAveragePooling2D' },
      { type: 'Dense', units: 3, activation: 'softmax' },
    ],
  });
  const text = formatSummary(c);
  // Too long for its 31-character cell, the name wraps at the space, as Keras's rich table does.
  assert.ok(text.includes(
    '│ batch_normalization             │ (None, 6, 6, 4)        │            16 │\n' +
    '│ (BatchNormalization)            │                        │               │\n',
  ), text);
  assert.match(text, / Total params: 71 \(284\.00 B\)\n Trainable params: 63 \(252\.00 B\)\n Non-trainable params: 8 \(32\.00 B\)\n$/);
  assert.deepEqual(summaryJson(c), {
    name: 'sequential',
    layers: [
      { name: 'conv2d', type: 'Conv2D', output_shape: [null, 6, 6, 4], params: 40 },
      { name: 'batch_normalization', type: 'BatchNormalization', output_shape: [null, 6, 6, 4], params: 16 },
      { name: 'global_average_pooling2d', type: 'GlobalAveragePooling2D', output_shape: [null, 4], params: 0 },
      { name: 'dense', type: 'Dense', output_shape: [null, 3], params: 15 },
    ],
    total_params: 71,
    trainable_params: 63,
    non_trainable_params: 8,
  });
});

test('long layer names wrap inside their cell as rich does; colours never change the characters', () => {
  const c = validateConfig({
    input_shape: [8, 8, 1],
    layers: [
      { type: 'GlobalAveragePooling2D', name: 'a_rather_long_layer_name_for_pooling' },
      { type: 'Dense', units: 3, activation: 'softmax' },
    ],
  });
  const lines = formatSummary(c).split('\n');
  assert.equal(lines[4], '│ a_rather_long_layer_name_for_p… │ (None, 1)              │             0 │', 'a word longer than the cell is cut with an ellipsis');
  assert.match(lines[5], /^│ \(GlobalAveragePooling2D\) +│ +│ +│$/);
  const plain = formatSummary(fashion(), { columns: 100, optimizer: { type: 'adam', slots: 2 } });
  const colored = formatSummary(fashion(), { columns: 100, optimizer: { type: 'adam', slots: 2 }, color: true });
  assert.notEqual(colored, plain);
  // eslint-disable-next-line no-control-regex
  assert.equal(colored.replace(/\u001b\[[0-9;]*m/g, ''), plain);
});
