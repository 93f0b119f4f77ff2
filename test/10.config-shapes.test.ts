/** Shape inference, parameter counts and the native spec, checked against Keras's formulas. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../src/model/validate.js';
import { modelParams } from '../src/model/params.js';
import { formatShapeTuple, samePadding, windowOutputLength } from '../src/model/shapes.js';
import { toNativeSpec } from '../src/model/spec.js';
import { resolveConfig } from '../src/model/shipped.js';

test('valid and same output lengths follow Keras', () => {
  assert.equal(windowOutputLength(28, 5, 'valid', 1), 24);
  assert.equal(windowOutputLength(28, 3, 'valid', 2), 13);
  assert.equal(windowOutputLength(28, 3, 'valid', 1, 2), 24); // dilated kernel spans 5
  assert.equal(windowOutputLength(28, 3, 'same', 2), 14);
  assert.equal(windowOutputLength(7, 2, 'same', 2), 4);
  assert.deepEqual(samePadding(7, 2, 2), [0, 1], 'the odd pixel goes to the bottom/right');
  assert.deepEqual(samePadding(28, 5, 1), [2, 2]);
  assert.deepEqual(samePadding(28, 3, 2), [0, 1]);
  assert.equal(formatShapeTuple([26, 26, 32]), '(None, 26, 26, 32)');
  assert.equal(formatShapeTuple([576]), '(None, 576)');
});

test("seed 000's model: shapes and 203,068 parameters", () => {
  const p = modelParams(resolveConfig('mnist').config);
  assert.deepEqual(p.shapes.map((s) => s.output), [[24, 24, 3], [20, 20, 6], [2400], [84], [10]]);
  assert.deepEqual(p.layers.map((l) => l.total), [78, 456, 0, 201684, 850]);
  assert.equal(p.total, 203068);
  assert.equal(p.nonTrainable, 0);
});

test("seed 004's model: shapes and 93,322 parameters", () => {
  const p = modelParams(resolveConfig('fashion-mnist.json').config);
  assert.deepEqual(p.shapes.map((s) => s.output), [[26, 26, 32], [13, 13, 32], [11, 11, 64], [5, 5, 64], [3, 3, 64], [576], [64], [10]]);
  assert.deepEqual(p.layers.map((l) => l.total), [320, 0, 18496, 0, 36928, 0, 36928, 650]);
  assert.equal(p.total, 93322);
});

test('channels_first Conv2D reads (C, H, W) and writes (filters, H, W); params count its input channels', () => {
  const c = validateConfig({
    input_shape: [3, 32, 32],
    layers: [
      { type: 'Conv2D', filters: 8, kernel_size: [3, 5], strides: [1, 2], data_format: 'channels_first', padding: 'same' },
      { type: 'Flatten' },
      { type: 'Dense', units: 4, activation: 'softmax' },
    ],
  });
  const p = modelParams(c);
  assert.deepEqual(p.shapes[0].output, [8, 32, 16]);
  assert.equal(p.layers[0].total, 3 * 5 * 3 * 8 + 8);
});

test('BatchNormalization has 4*C params, 2*C not trainable; GAP, Dropout and Activation keep or reduce shapes', () => {
  const c = validateConfig({
    input_shape: [28, 28, 1],
    layers: [
      { type: 'Conv2D', filters: 16, kernel_size: 3, padding: 'same', use_bias: false },
      { type: 'BatchNormalization' },
      { type: 'Activation', activation: 'relu' },
      { type: 'AveragePooling2D', pool_size: 3, strides: 2, padding: 'same' },
      { type: 'Dropout', rate: 0.25, seed: 7 },
      { type: 'GlobalAveragePooling2D' },
      { type: 'Dense', units: 10 },
      { type: 'Activation', activation: 'softmax' },
    ],
    dataset: 'fashion-mnist',
  });
  const p = modelParams(c);
  assert.deepEqual(p.shapes.map((s) => s.output), [[28, 28, 16], [28, 28, 16], [28, 28, 16], [14, 14, 16], [14, 14, 16], [16], [10], [10]]);
  assert.deepEqual(p.layers[0], { total: 144, trainable: 144, nonTrainable: 0 });
  assert.deepEqual(p.layers[1], { total: 64, trainable: 32, nonTrainable: 32 });
  assert.equal(p.total, 144 + 64 + 170);
});

test('toNativeSpec mirrors cnn::NetworkSpec: every field present, pairs, flat constant values in Keras layout', () => {
  const kernel = [[[[1, 2]], [[3, 4]]], [[[5, 6]], [[7, 8]]]]; // (2, 2, 1, 2)
  const c = validateConfig({
    input_shape: [4, 4, 1],
    layers: [
      { type: 'Conv2D', filters: 2, kernel_size: 2, activation: 'silu', kernel_initializer: { type: 'constant', value: kernel }, kernel_regularizer: 'l2' },
      { type: 'MaxPooling2D', pool_size: 3, strides: 1 },
      { type: 'Dropout', rate: 0.5, seed: 3 },
      { type: 'Flatten' },
      { type: 'Dropout', rate: 0.1 },
      { type: 'Dense', units: 3, activation: 'softmax', bias_initializer: { type: 'random_uniform', minval: -1, maxval: 1 } },
    ],
    optimizer: { type: 'adamw', learning_rate: 0.002 },
    loss: 'categorical_crossentropy',
    seed: 9,
  });
  const spec = toNativeSpec(c);
  assert.deepEqual(spec.input_shape, [4, 4, 1]);
  assert.equal(spec.loss, 'categorical_crossentropy');
  assert.equal(spec.seed, 9);
  assert.deepEqual(spec.optimizer, {
    type: 'adamw', learning_rate: 0.002, momentum: 0, nesterov: false, rho: 0.9, centered: false,
    beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false, weight_decay: 0.004,
  });
  const [conv, pool, drop, , drop2, dense] = spec.layers;
  assert.equal(conv.activation, 'swish', 'the core knows silu as swish');
  assert.deepEqual(conv.input_shape, [4, 4, 1]);
  assert.deepEqual(conv.output_shape, [3, 3, 2]);
  assert.deepEqual(conv.kernel_size, [2, 2]);
  assert.equal(conv.kernel_initializer.kind, 'constant');
  assert.deepEqual(conv.kernel_initializer.values, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(conv.kernel_regularizer, { l1: 0, l2: 0.01 });
  assert.equal(conv.padding_same, false);
  assert.equal(conv.channels_first, false);
  assert.deepEqual(pool.pool_size, [3, 3]);
  assert.deepEqual(pool.strides, [1, 1]);
  assert.deepEqual(pool.output_shape, [1, 1, 2]);
  assert.equal(drop.rate, 0.5);
  assert.equal(drop.dropout_seed, 3);
  assert.equal('dropout_seed' in drop2, false, 'no seed: the field is absent, not 0');
  assert.equal(dense.units, 3);
  assert.deepEqual(dense.bias_initializer, { kind: 'random_uniform', value: 0, values: [], mean: 0, stddev: 0.05, minval: -1, maxval: 1 });
  for (const layer of spec.layers) {
    for (const key of ['filters', 'units', 'kernel_size', 'strides', 'dilation_rate', 'padding_same', 'channels_first', 'activation', 'use_bias',
      'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer', 'pool_size', 'rate', 'momentum', 'epsilon', 'center', 'scale']) {
      assert.ok(key in layer, `${layer.name} lacks ${key}`);
    }
  }
});
