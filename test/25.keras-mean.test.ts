/**
 * Running metrics as Keras's Mean keeps them (float32 total, count and quotient), so the progress line
 * rounds ties as Keras prints them. Expected strings: test/golden/keras-mean-accuracy.json, written by
 * test/python/keras_mean_accuracy.py with real Keras (test/peers/keras-mean.test.ts re-checks it live).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatMetricValue } from '../src/cli/progress.js';
import { kerasMean } from '../src/train/metrics.js';
import { packageRoot } from '../src/version.js';
import { bands, tinyModel } from './helpers/library.js';

interface Golden {
  counts: { n: number; printed: Record<string, string> }[];
}
const golden = JSON.parse(readFileSync(join(packageRoot, 'test', 'golden', 'keras-mean-accuracy.json'), 'utf8')) as Golden;

test('accuracy k of 160 (every k) and of 60,000 (every 13th k) prints as Keras prints it', () => {
  for (const { n, printed } of golden.counts) {
    const wrong = Object.entries(printed).filter(([k, want]) => formatMetricValue(kerasMean(Number(k), n)) !== want);
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} of ${Object.keys(printed).length} counts of ${n} differ from Keras`);
  }
  assert.equal(formatMetricValue(kerasMean(63, 160)), '0.3938');
  // The float64 quotient Keras does not use rounds this tie the other way.
  assert.equal(formatMetricValue(63 / 160), '0.3937');
});

test('fit and evaluate report accuracy and loss as float32 values, as Keras\'s Mean does', async () => {
  const model = tinyModel();
  const data = bands(120);
  const batches: number[] = [];
  const h = await model.fit(data, {
    epochs: 1,
    batchSize: 16,
    validationSplit: 0.25,
    verbose: 0,
    callbacks: [{ onBatchEnd: (_b, logs) => void batches.push(logs.accuracy as number, logs.loss as number) }],
  });
  const e = await model.evaluate(data.images, data.labels);
  const values = [...batches, h.history.accuracy![0], h.history.loss![0], h.history.val_accuracy![0], h.history.val_loss![0], e.accuracy!, e.loss];
  assert.ok(batches.length > 0);
  for (const v of values) assert.equal(Math.fround(v), v, `${v} is not a float32 value`);
});
