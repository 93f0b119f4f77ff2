/** The model config: defaults, normalization, and one test per class of mistake, with its exact place. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isCnnError } from '../src/errors.js';
import { snakeCaseLayerName, type ModelConfig } from '../src/model/config.js';
import { ConfigError, levenshtein, suggest } from '../src/model/validate-core.js';
import { validateConfig } from '../src/model/validate.js';
import { packageRoot } from '../src/version.js';

const base = (): Record<string, unknown> => ({
  input_shape: [28, 28, 1],
  layers: [
    { type: 'Conv2D', filters: 4, kernel_size: 3, activation: 'relu' },
    { type: 'MaxPooling2D' },
    { type: 'Flatten' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
  dataset: 'mnist',
});

/** Runs validation expecting failure; returns the error for inspection. */
function rejects(raw: unknown, source = 'bad.json'): ConfigError {
  try {
    validateConfig(raw, source);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.ok(isCnnError(e));
    assert.equal(e.exitCode, 2);
    assert.equal(e.code, 'ERR_BAD_CONFIG');
    assert.ok(e.message.startsWith(`${source}: `), e.message);
    return e;
  }
  assert.fail('the config was accepted');
}

function withLayer(i: number, patch: Record<string, unknown>, drop: string[] = []): Record<string, unknown> {
  const raw = base();
  const layers = raw.layers as Record<string, unknown>[];
  const layer = { ...layers[i], ...patch };
  for (const k of drop) delete layer[k];
  layers[i] = layer;
  return raw;
}

test('defaults are Keras defaults, filled in everywhere', () => {
  const c = validateConfig(base());
  assert.equal(c.name, 'sequential');
  assert.deepEqual(c.optimizer, { type: 'rmsprop', learning_rate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
  assert.equal(c.loss, 'sparse_categorical_crossentropy');
  assert.deepEqual(c.metrics, ['accuracy']);
  assert.equal(c.epochs, 1);
  assert.equal(c.batch_size, 32);
  assert.equal(c.validation_split, 0);
  assert.equal(c.shuffle, true);
  assert.deepEqual(c.preprocessing, { rescale: 1, offset: 0 });
  const conv = c.layers[0];
  assert.equal(conv.type, 'Conv2D');
  if (conv.type !== 'Conv2D') return;
  assert.deepEqual(conv.kernel_size, [3, 3]);
  assert.deepEqual(conv.strides, [1, 1]);
  assert.deepEqual(conv.dilation_rate, [1, 1]);
  assert.equal(conv.padding, 'valid');
  assert.equal(conv.data_format, 'channels_last');
  assert.equal(conv.use_bias, true);
  assert.deepEqual(conv.kernel_initializer, { type: 'glorot_uniform' });
  assert.deepEqual(conv.bias_initializer, { type: 'zeros' });
  assert.equal(conv.kernel_regularizer, null);
  const pool = c.layers[1];
  assert.ok(pool.type === 'MaxPooling2D');
  assert.deepEqual(pool.pool_size, [2, 2]);
  assert.deepEqual(pool.strides, [2, 2], 'strides=None means strides = pool_size');
});

test('validation is idempotent: a normalized config validates to itself', () => {
  for (const file of ['mnist.json', 'fashion-mnist.json']) {
    const once = validateConfig(JSON.parse(readFileSync(join(packageRoot, 'data', file), 'utf8')), file);
    const twice = validateConfig(JSON.parse(JSON.stringify(once)), file);
    assert.deepEqual(twice, once);
  }
});

test('optimizer defaults per type, names case-insensitive, adamw weight decay 0.004', () => {
  const opt = (o: unknown): ModelConfig['optimizer'] => validateConfig({ ...base(), optimizer: o }).optimizer;
  assert.deepEqual(opt('sgd'), { type: 'sgd', learning_rate: 0.01, momentum: 0, nesterov: false });
  assert.deepEqual(opt('Adam'), { type: 'adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false });
  assert.equal((opt({ type: 'adamw' }) as { weight_decay: number }).weight_decay, 0.004);
  assert.equal(opt({ type: 'adam', learning_rate: 0.01 }).learning_rate, 0.01);
});

test('layer names follow Keras: snake_case plus _1, _2 counted over unnamed layers only, explicit names kept', () => {
  assert.equal(snakeCaseLayerName('Conv2D'), 'conv2d');
  assert.equal(snakeCaseLayerName('MaxPooling2D'), 'max_pooling2d');
  assert.equal(snakeCaseLayerName('BatchNormalization'), 'batch_normalization');
  assert.equal(snakeCaseLayerName('GlobalAveragePooling2D'), 'global_average_pooling2d');
  const c = validateConfig({
    input_shape: [28, 28, 1],
    layers: [
      { type: 'Conv2D', filters: 2, kernel_size: 3, name: 'conv2d_5' },
      { type: 'Conv2D', filters: 2, kernel_size: 3 },
      { type: 'Conv2D', filters: 2, kernel_size: 3 },
      { type: 'MaxPool2D' },
      { type: 'Flatten' },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
  });
  assert.deepEqual(
    c.layers.map((l) => `${l.name} ${l.type}`),
    ['conv2d_5 Conv2D', 'conv2d Conv2D', 'conv2d_1 Conv2D', 'max_pooling2d MaxPooling2D', 'flatten Flatten', 'dense Dense'],
  );
});

test('the first layer may carry input_shape as in Keras', () => {
  const raw = base();
  delete raw.input_shape;
  (raw.layers as Record<string, unknown>[])[0].input_shape = [28, 28, 1];
  assert.deepEqual(validateConfig(raw).input_shape, [28, 28, 1]);
});

test('initializers and regularizers in every accepted spelling', () => {
  const c = validateConfig(
    withLayer(3, {
      kernel_initializer: 'HeNormal',
      bias_initializer: { class_name: 'Constant', config: { value: 0.5 } },
      kernel_regularizer: 'l2',
      bias_regularizer: { l1: 0.001 },
    }),
  );
  const dense = c.layers[3];
  assert.ok(dense.type === 'Dense');
  assert.deepEqual(dense.kernel_initializer, { type: 'he_normal' });
  assert.deepEqual(dense.bias_initializer, { type: 'constant', value: 0.5 });
  assert.deepEqual(dense.kernel_regularizer, { l1: 0, l2: 0.01 });
  assert.deepEqual(dense.bias_regularizer, { l1: 0.001, l2: 0 });
  const both = validateConfig(withLayer(0, { kernel_regularizer: 'l1_l2', kernel_initializer: { type: 'random_normal', stddev: 0.01 } }));
  const conv = both.layers[0];
  assert.ok(conv.type === 'Conv2D');
  assert.deepEqual(conv.kernel_regularizer, { l1: 0.01, l2: 0.01 });
  assert.deepEqual(conv.kernel_initializer, { type: 'random_normal', mean: 0, stddev: 0.01 });
});

test('a constant kernel of the right (kh, kw, in, out) shape is accepted', () => {
  const kernel = [[[[1]], [[2]]], [[[3]], [[4]]]]; // (2, 2, 1, 1)
  const c = validateConfig({
    input_shape: [3, 3, 1],
    layers: [
      { type: 'Conv2D', filters: 1, kernel_size: 2, kernel_initializer: { type: 'constant', value: kernel } },
      { type: 'Flatten' },
      { type: 'Dense', units: 2, activation: 'softmax' },
    ],
  });
  const conv = c.layers[0];
  assert.ok(conv.type === 'Conv2D' && conv.kernel_initializer.type === 'constant');
  assert.deepEqual(conv.kernel_initializer.value, kernel);
});

test('did-you-mean suggestions come from edit distance and known renamings', () => {
  assert.equal(levenshtein('kernal_size', 'kernel_size'), 1);
  assert.equal(levenshtein('', 'abc'), 3);
  assert.equal(suggest('kernal_size', ['filters', 'kernel_size']), 'kernel_size');
  assert.equal(suggest('lr', ['learning_rate', 'beta_1']), 'learning_rate');
  assert.equal(suggest('conv2d', ['Conv2D', 'Dense']), 'Conv2D');
  assert.equal(suggest('zzzzzz', ['filters', 'kernel_size']), undefined);
});

function withLayers0And1Named(name: string): Record<string, unknown> {
  const raw = withLayer(0, { name });
  (raw.layers as Record<string, unknown>[])[1].name = name;
  return raw;
}

// Keras 3.15: keras.Sequential([Input, Conv2D(name="conv2d_1"), Conv2D(), Conv2D()]) raises this.
const KERAS_DUPLICATE = "All layers added to a Sequential model should have unique names. Name 'conv2d_1' is already the name of a layer in this model";

test('an automatic name that an explicit one already took is refused, as Keras refuses it', () => {
  const conv = { type: 'Conv2D', filters: 2, kernel_size: 3 };
  const raw = { ...base(), layers: [{ ...conv, name: 'conv2d_1' }, conv, conv, { type: 'Flatten' }, { type: 'Dense', units: 10, activation: 'softmax' }] };
  const e = rejects(raw);
  assert.deepEqual(e.issues.map((i) => i.path), ['layers[2]']);
  assert.ok(e.message.includes(`${KERAS_DUPLICATE} (layers[0]). Update the \`name\` argument to pass a unique name.`), e.message);
  // An explicit name after the automatic one is refused at its "name".
  const later = rejects(withLayer(1, { name: 'conv2d' }));
  assert.deepEqual(later.issues.map((i) => i.path), ['layers[1].name']);
  assert.match(later.message, /Name 'conv2d' is already the name of a layer in this model \(layers\[0\]\)/);
});

test('layer names may hold spaces, brackets and any script (Keras refuses only "/")', () => {
  for (const name of ['합성곱_층', 'my conv [1]', 'größe:1', '畳み込み']) assert.equal(validateConfig(withLayer(0, { name })).layers[0].name, name);
  assert.deepEqual(rejects(withLayer(0, { name: 'a/b' })).issues.map((i) => i.path), ['layers[0].name']);
  assert.deepEqual(rejects(withLayer(0, { name: '' })).issues.map((i) => i.path), ['layers[0].name']);
});

// Each class of mistake: [what, raw config, expected path, expected layer label or null, text in the message]
const mistakes: [string, () => unknown, string, string | null, RegExp][] = [
  ['unknown top-level key', () => ({ ...base(), epoch: 3 }), 'epoch', null, /unknown key "epoch".*did you mean "epochs"\?/],
  ['unknown layer key', () => withLayer(0, { kernal_size: 3 }), 'layers[0].kernal_size', 'conv2d (Conv2D)', /did you mean "kernel_size"\?/],
  ['unknown layer type', () => withLayer(1, { type: 'MaxPooling' }), 'layers[1].type', null, /unknown layer type "MaxPooling"; did you mean "MaxPooling2D"\?/],
  ['wrong type (string for int)', () => withLayer(0, { filters: '4' }), 'layers[0].filters', 'conv2d (Conv2D)', /must be an integer >= 1 and <= 2147483647, got "4"/],
  ['missing required argument', () => withLayer(3, {}, ['units']), 'layers[3].units', 'dense (Dense)', /is required/],
  ['bad pair', () => withLayer(0, { kernel_size: [3, 3, 3] }), 'layers[0].kernel_size', 'conv2d (Conv2D)', /an integer >= 1 or a pair/],
  ['out of range', () => ({ ...base(), validation_split: 1 }), 'validation_split', null, /must be a number >= 0 and < 1, got 1/],
  ['dropout rate out of range', () => ({ ...base(), layers: [...(base().layers as unknown[]).slice(0, 3), { type: 'Dropout', rate: 1.5 }, (base().layers as unknown[])[3]] }), 'layers[3].rate', 'dropout (Dropout)', /< 1, got 1.5/],
  ['bad choice', () => withLayer(0, { padding: 'sme' }), 'layers[0].padding', 'conv2d (Conv2D)', /did you mean "same"\?/],
  ['bad activation', () => withLayer(3, { activation: 'softmx' }), 'layers[3].activation', 'dense (Dense)', /did you mean "softmax"\?/],
  ['unknown optimizer argument', () => ({ ...base(), optimizer: { type: 'sgd', beta_1: 0.9 } }), 'optimizer.beta_1', null, /unknown key "beta_1" for optimizer sgd/],
  ['unknown loss', () => ({ ...base(), loss: 'binary_crossentropy' }), 'loss', null, /must be one of "sparse_categorical_crossentropy", "categorical_crossentropy"/],
  ['pool larger than its input', () => ({ ...base(), input_shape: [3, 3, 1], dataset: null }), 'layers[1].pool_size', 'max_pooling2d (MaxPooling2D)', /pool_size 2x2 is larger than its 1x1 input, so the output would be 0x0/],
  ['conv kernel larger than its input', () => ({ ...withLayer(0, { kernel_size: 30 }) }), 'layers[0].kernel_size', 'conv2d (Conv2D)', /kernel_size 30x30 is larger than its 28x28 input/],
  ['dilated kernel larger than its input', () => ({ ...withLayer(0, { kernel_size: 10, dilation_rate: 4 }) }), 'layers[0].kernel_size', 'conv2d (Conv2D)', /kernel_size 10x10 \(spanning 37x37 with its dilation_rate\) is larger than its 28x28 input/],
  ['strides with dilation', () => withLayer(0, { strides: 2, dilation_rate: 2 }), 'layers[0].strides', 'conv2d (Conv2D)', /cannot be combined with dilation_rate > 1/],
  ['Dense on an image', () => ({ ...base(), layers: (base().layers as unknown[]).filter((_, i) => i !== 2) }), 'layers[2]', 'dense (Dense)', /Dense needs a flat input \(None, N\) but its input is \(None, 13, 13, 4\); add a Flatten/],
  ['Conv2D on a flat input', () => ({ ...base(), layers: [{ type: 'Flatten' }, { type: 'Conv2D', filters: 2, kernel_size: 3 }, { type: 'Dense', units: 10, activation: 'softmax' }] }), 'layers[1]', 'conv2d (Conv2D)', /needs a 3-D input .* \(None, 784\)/],
  ['last layer without softmax', () => withLayer(3, { activation: 'relu' }), 'layers[3].activation', 'dense (Dense)', /last layer must be a Dense layer with activation "softmax"/],
  ['last layer not producing classes', () => ({ ...base(), layers: (base().layers as unknown[]).slice(0, 3) }), 'layers[2]', 'flatten (Flatten)', /class probabilities/],
  ['classes do not match the dataset', () => withLayer(3, { units: 7 }), 'layers[3].units', 'dense (Dense)', /has 7 classes but mnist has 10/],
  ['constant kernel of the wrong shape', () => withLayer(3, { kernel_initializer: { type: 'constant', value: [[1, 2], [3, 4]] } }), 'layers[3].kernel_initializer.value', 'dense (Dense)', /has shape \(2, 2\) but the kernel of dense has shape \(676, 10\)/],
  ['constant bias of the wrong shape (Keras serialized form)', () => withLayer(0, { bias_initializer: { class_name: 'Constant', config: { value: [1, 2] } } }), 'layers[0].bias_initializer.config.value', 'conv2d (Conv2D)', /has shape \(2,\) but the bias of conv2d has shape \(4,\)/],
  ['ragged constant', () => withLayer(0, { kernel_initializer: { type: 'constant', value: [[1], [1, 2]] } }), 'layers[0].kernel_initializer.value', 'conv2d (Conv2D)', /ragged/],
  ['input_shape vs the dataset', () => ({ ...base(), input_shape: [32, 32, 3] }), 'input_shape', null, /mnist images are 28x28x1 \(784 values\)/],
  ['duplicate layer names', () => withLayers0And1Named('features'), 'layers[1].name', null, /Name 'features' is already the name of a layer in this model \(layers\[0\]\)/],
  ['unknown initializer', () => withLayer(0, { kernel_initializer: 'glorot' }), 'layers[0].kernel_initializer', 'conv2d (Conv2D)', /must name an initializer \(glorot_uniform, .*\), got "glorot"; did you mean "glorot_uniform"\?/],
  ['grouped convolution', () => withLayer(0, { groups: 2 }), 'layers[0].groups', 'conv2d (Conv2D)', /groups 1/],
];

for (const [what, make, path, layer, text] of mistakes) {
  test(`config error: ${what} names ${path}`, () => {
    const e = rejects(make());
    const issue = e.issues.find((i) => i.path === path);
    assert.ok(issue, `no issue at ${path}; got ${e.message}`);
    assert.equal(issue.layer ?? null, layer);
    assert.match(issue.message, text);
    const line = `${path}${layer ? ` [${layer}]` : ''}: ${issue.message}`;
    assert.ok(e.message.includes(line), e.message);
  });
}

test('every problem is reported at once, in the order of the file', () => {
  const e = rejects({ ...withLayer(0, { filters: 0, padding: 'full' }), epochs: -1, shufle: true });
  assert.deepEqual(
    e.issues.map((i) => i.path),
    ['layers[0].filters', 'layers[0].padding', 'epochs', 'shufle'],
  );
  assert.match(e.message, /^bad\.json: 4 problems in the model config:\n {2}layers\[0\]\.filters \[conv2d \(Conv2D\)\]: /);
});

test('a config that is not an object is one clear error', () => {
  assert.match(rejects([1, 2]).message, /^bad\.json: \(top level\): the model config must be a JSON object, got \[1,2\]$/);
});
