/**
 * Live: `formatSummary` against real Keras's model.summary() (rich's layout) at narrow widths, with layer
 * names in other scripts, brackets and spaces, in plain and in terminal (colour) mode.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { formatSummary } from '../../src/model/summary.js';
import { validateConfig } from '../../src/model/validate.js';
import { kerasPython, runPython } from '../helpers/keras-python.js';

function model(names: (string | null)[], name = 'sequential') {
  const named = (i: number) => (names[i] === null ? {} : { name: names[i] });
  return validateConfig({
    name,
    input_shape: [28, 28, 1],
    layers: [
      { type: 'Conv2D', filters: 4, kernel_size: 3, ...named(0) },
      { type: 'Flatten', ...named(1) },
      { type: 'Dense', units: 10, activation: 'softmax', ...named(2) },
    ],
    dataset: 'mnist',
  });
}

function keras(names: (string | null)[], columns: number, env: NodeJS.ProcessEnv = {}): { text?: string; error?: string } {
  return runPython('keras_summary.py', [JSON.stringify(names)], { COLUMNS: String(columns), ...env }) as { text?: string; error?: string };
}

const NAMES: (string | null)[][] = [
  [null, null, null],
  ['합성곱_층 [1]', '평탄화', 'dense layer (out)'],
  ['畳み込み', 'flatten', 'ü ö [x]'],
];

test('summary text equals real Keras at 20..48 and 60, 80, 100 columns, with wide and bracketed names', { skip: kerasPython().reason }, () => {
  for (const names of NAMES) {
    for (const columns of [20, 21, 24, 27, 30, 33, 36, 39, 40, 42, 44, 45, 46, 47, 48, 60, 80, 100]) {
      const want = keras(names, columns);
      assert.equal(formatSummary(model(names), { columns }), want.text, `${JSON.stringify(names)} at ${columns} columns`);
    }
  }
});

test('a long model name wraps at the terminal width as Keras wraps it', { skip: kerasPython().reason }, () => {
  for (const columns of [30, 40, 48]) {
    const want = runPython('keras_summary.py', [JSON.stringify([null, null, null])], { COLUMNS: String(columns), CNN_MODEL_NAME: 'a_rather_long_model_name_for_wrapping' }) as { text: string };
    assert.equal(formatSummary(model([null, null, null], 'a_rather_long_model_name_for_wrapping'), { columns }), want.text, `at ${columns}`);
  }
});

test('under 20 columns Keras and cnn refuse: Insufficient console width', { skip: kerasPython().reason }, () => {
  assert.match(keras([null, null, null], 19).error ?? '', /Insufficient console width to print summary/);
  assert.throws(() => formatSummary(model([null, null, null]), { columns: 19 }), /Insufficient console width to print summary/);
});

test('in a terminal, the colours are Keras\'s (bold title and totals, coloured digits of shapes)', { skip: kerasPython().reason }, () => {
  for (const names of NAMES.slice(0, 2)) {
    for (const columns of [30, 40, 48, 80]) {
      const want = keras(names, columns, { CNN_FORCE_TERMINAL: '1' });
      assert.equal(JSON.stringify(formatSummary(model(names), { columns, color: true })), JSON.stringify(want.text), `${JSON.stringify(names)} at ${columns}`);
    }
  }
});
