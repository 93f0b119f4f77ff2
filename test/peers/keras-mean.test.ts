/** Live: the accuracy Keras's Mean prints for k correct of n, against cnn's running metric. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { formatMetricValue } from '../../src/cli/progress.js';
import { kerasMean } from '../../src/train/metrics.js';
import { kerasPython, runPython } from '../helpers/keras-python.js';

test('accuracy of k of 160 (every k) and k of 60,000 (every 7th k) matches real Keras', { skip: kerasPython().reason }, () => {
  for (const [n, step] of [[160, 1], [60000, 7]]) {
    const { printed } = runPython('keras_mean_accuracy.py', [String(n), String(step)]) as { printed: Record<string, string> };
    const wrong = Object.entries(printed).filter(([k, want]) => formatMetricValue(kerasMean(Number(k), n)) !== want);
    assert.ok(Object.keys(printed).length >= 161);
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} counts of ${n} differ from Keras`);
  }
});
