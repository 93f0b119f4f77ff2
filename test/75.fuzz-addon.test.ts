/**
 * A short deterministic fuzz of the addon's entry points (fixed seed): the conv2d/pool calculators,
 * Network construction from random specs, and forward/train/evaluate on tiny random shapes and values.
 * Every call must return or throw CnnError with a code; a crash, another error type or an "internal
 * error" fails. Sizes that allocate (dimensions, filters, units, kernels) are drawn small or invalid, so
 * a valid random model stays tiny; numbers that only shape geometry (strides, dilation, pool sizes) and
 * wrap-prone values (2^31, 2^32+1, -1, NaN, 1.5, Infinity) are drawn freely.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { isCnnError } from '../src/errors.js';
import type { NativeLayerSpec, NativeNetworkSpec } from '../src/model/spec.js';
import { loadNative, type NativeNetwork } from '../src/native.js';

/** mulberry32: a tiny seeded generator, so every run makes the same calls. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = rng(0x5eed);
const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
const pickOf = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)];
const WILD = [2 ** 31, 2 ** 31 - 1, 2 ** 32 + 1, 2 ** 53, -1, 0, Number.NaN, 1.5, Infinity, -Infinity];
// A third of the specs (and calculator calls) draw invalid values; the others only valid ones, so most
// networks build and train.
let wild = true;
/** A size that allocates: small, or invalid (never a valid huge one). */
const size = (max: number): number => (wild && random() < 0.08 ? pickOf([0, -1, Number.NaN, 1.5, 2 ** 31, 2 ** 32 + 1, Infinity]) : int(1, max));
/** A geometry number: small mostly, sometimes huge (valid: 2^31 - 1 windows), sometimes anything when wild. */
const geo = (max: number): number => {
  const r = random();
  if (r < 0.05) return pickOf([2 ** 31 - 1, 2 ** 30, 65536]);
  return wild && r < 0.2 ? pickOf(WILD) : int(1, max);
};
const pair = (f: () => number): [number, number] => [f(), f()];

let calls = 0;
let refused = 0;
function expectOk<T>(what: string, fn: () => T): T | undefined {
  calls++;
  try {
    return fn();
  } catch (e) {
    refused++;
    if (process.env.CNN_FUZZ_DEBUG && what.startsWith('new Network')) console.log((e as Error).message);
    assert.ok(isCnnError(e), `${what}: expected a CnnError, got ${String(e)}`);
    assert.match(e.code, /^ERR_[A-Z_]+$/, what);
    assert.doesNotMatch(e.message, /internal error/i, what);
    return undefined;
  }
}
async function expectOkAsync(what: string, fn: () => Promise<unknown>): Promise<void> {
  calls++;
  try {
    await fn();
  } catch (e) {
    refused++;
    assert.ok(isCnnError(e), `${what}: expected a CnnError, got ${String(e)}`);
    assert.match(e.code, /^ERR_[A-Z_]+$/, what);
  }
}

const values = (n: number): Float32Array => Float32Array.from({ length: Math.max(0, n) }, () => random() * 4 - 2);
// The length a shape asks for (its invalid entries count as 1, so the test never allocates a wild size).
const product = (xs: number[]): number => xs.reduce((a, b) => a * (Number.isInteger(b) && b > 0 && b < 2 ** 31 ? b : 1), 1);

test('the calculators return or throw CnnError for random shapes and options', () => {
  const native = loadNative();
  for (let i = 0; i < 2500; i++) {
    wild = random() < 0.5;
    const inShape = [size(9), size(9), size(3)];
    const kShape = [size(4), size(4), random() < 0.9 ? inShape[2] : size(3), size(4)];
    // Lengths usually match the shapes, sometimes not.
    const input = values(random() < 0.9 ? product(inShape) : int(0, 20));
    const kernel = values(random() < 0.9 ? product(kShape) : int(0, 20));
    const what = `conv2d ${JSON.stringify({ inShape, kShape })}`;
    const r = expectOk(what, () => native.conv2d(input, inShape, kernel, kShape, pair(() => geo(3)), pair(() => geo(3)), random() < 0.5));
    if (r) assert.equal(r.data.length, product(r.shape), what);
    const poolShape = [size(9), size(9), size(3)];
    const p = expectOk(`pool ${JSON.stringify(poolShape)}`, () =>
      native.pool(values(random() < 0.9 ? product(poolShape) : int(0, 20)), poolShape, pair(() => geo(3)), pair(() => geo(3)), random() < 0.5, pickOf(['max', 'avg'] as const)),
    );
    if (p) assert.equal(p.data.length, product(p.shape));
  }
});

const TYPES = ['Conv2D', 'Dense', 'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'Flatten', 'Dropout', 'BatchNormalization', 'Activation', 'Nope',
  'Rescaling', 'Resizing', 'ZeroPadding2D', 'Cropping2D', 'Reshape', 'RandomFlip', 'RandomTranslation', 'RandomRotation', 'RandomZoom', 'RandomContrast', 'RandomBrightness'];
const FILL_MODES = ['reflect', 'wrap', 'constant', 'nearest', 'mirror'];
const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'softmax', 'linear', 'swish', 'gelu', 'elu', 'leaky_relu', 'softplus', 'bogus'];
const INITIALIZERS = ['glorot_uniform', 'he_normal', 'random_normal', 'random_uniform', 'zeros', 'ones', 'constant', 'lecun'];

function randomLayer(i: number): NativeLayerSpec {
  const init = () => ({ kind: pickOf(wild ? INITIALIZERS : INITIALIZERS.slice(0, 6)), value: random(), values: random() < 0.1 ? Array.from({ length: int(0, 8) }, () => random()) : [], mean: 0, stddev: wild && random() < 0.05 ? Number.NaN : 0.05, minval: -0.05, maxval: 0.05 });
  const layer: NativeLayerSpec = {
    type: pickOf(TYPES),
    name: `layer_${i}`,
    input_shape: [],
    output_shape: [],
    filters: size(6),
    units: size(8),
    kernel_size: pair(() => size(4)),
    strides: pair(() => geo(3)),
    dilation_rate: random() < 0.5 ? [1, 1] : pair(() => geo(2)),
    padding_same: random() < 0.5,
    channels_first: random() < 0.2,
    activation: pickOf(ACTIVATIONS),
    use_bias: random() < 0.7,
    kernel_initializer: init(),
    bias_initializer: init(),
    kernel_regularizer: { l1: random() < 0.1 ? 0.01 : 0, l2: random() < 0.1 ? pickOf(wild ? [0.01, Number.NaN] : [0.01]) : 0 },
    bias_regularizer: { l1: 0, l2: 0 },
    pool_size: pair(() => geo(3)),
    rate: wild && random() < 0.1 ? pickOf([Number.NaN, 1, -0.5, 0.5]) : random() * 0.5,
    momentum: wild && random() < 0.05 ? Number.NaN : 0.99,
    epsilon: 1e-3,
    center: random() < 0.5,
    scale: random() < 0.5,
    preprocessing: {
      scale: random() * 2 - 1,
      offset: random(),
      height: size(9),
      width: size(9),
      interpolation: pickOf(['bilinear', 'nearest', 'bicubic']),
      crop_to_aspect_ratio: random() < 0.3,
      pad_to_aspect_ratio: random() < 0.3,
      fill_mode: pickOf(FILL_MODES),
      fill_value: random(),
      mode: pickOf(['horizontal', 'vertical', 'horizontal_and_vertical', 'diagonal']),
      height_factor: [-random() * (wild ? 1e6 : 1), random()],
      width_factor: [-random(), random() * (wild ? 1e30 : 1)],
      factor: [-random() * 3, random() * 3],
      has_width_factor: random() < 0.5,
      value_range: random() < 0.9 ? [0, 1] : [1, 0],
      pad: [int(0, 3), int(0, 3), int(0, 3), int(0, 3)],
    },
  };
  if (random() < 0.1) layer.preprocessing.seed = int(0, 2 ** 40);
  if (random() < 0.1) layer.dropout_seed = wild ? pickOf([...WILD, 7]) : int(0, 2 ** 40);
  return layer;
}

const IMAGE_TYPES = ['Conv2D', 'Conv2D', 'MaxPooling2D', 'AveragePooling2D', 'BatchNormalization', 'Dropout', 'Activation'];

/** Mostly a plausible chain (image layers, Flatten or global pooling, Dense softmax), sometimes anything. */
function randomSpec(): NativeNetworkSpec {
  wild = random() < 0.3;
  const rank = pickOf([1, 3, 3, 3]);
  const input_shape = Array.from({ length: rank }, () => size(rank === 1 ? 32 : 8));
  const layers: NativeLayerSpec[] = [];
  const add = (type: string, extra: Partial<NativeLayerSpec> = {}): void => {
    layers.push({ ...randomLayer(layers.length), type, ...extra });
  };
  if (random() < 0.15) {
    for (let i = int(1, 5); i > 0; i--) add(pickOf(TYPES));
  } else {
    if (rank === 3) {
      for (let i = int(0, 3); i > 0; i--) add(pickOf(IMAGE_TYPES), random() < 0.8 ? { activation: pickOf(['relu', 'linear', 'tanh', 'swish']) } : {});
      add(random() < 0.8 ? 'Flatten' : 'GlobalAveragePooling2D');
    }
    if (random() < 0.4) add(pickOf(['Dense', 'Dropout', 'BatchNormalization', 'Activation']), { activation: pickOf(['relu', 'gelu', 'elu', 'softplus', 'sigmoid']) });
    add('Dense', { units: int(2, 4), activation: 'softmax' });
  }
  return {
    input_shape,
    layers,
    loss: pickOf(wild ? ['sparse_categorical_crossentropy', 'categorical_crossentropy', 'mse'] : ['sparse_categorical_crossentropy']),
    optimizer: { type: pickOf(wild ? ['sgd', 'rmsprop', 'adam', 'adamw', 'adagrad'] : ['sgd', 'rmsprop', 'adam', 'adamw']), learning_rate: wild && random() < 0.1 ? pickOf([Number.NaN, -1, Infinity]) : 0.01, momentum: 0.5, nesterov: random() < 0.5, rho: 0.9, centered: random() < 0.5, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: random() < 0.5, weight_decay: 0 },
    seed: wild && random() < 0.1 ? pickOf(WILD) : int(0, 1000),
  };
}

test('Network construction, training, evaluation and forwardAll return or throw CnnError for random specs', async () => {
  const native = loadNative();
  native.setThreads(1);
  let built = 0;
  let trained = 0;
  for (let i = 0; i < 1500; i++) {
    const spec = randomSpec();
    const net = expectOk(`new Network ${JSON.stringify(spec)}`, () => new native.Network(spec)) as NativeNetwork | undefined;
    if (!net) continue;
    built++;
    const inputSize = net.inputSize();
    const classes = net.numClasses();
    const n = int(1, 4);
    const images = Uint8Array.from({ length: n * inputSize }, () => int(0, 255));
    const labels = Uint8Array.from({ length: n }, () => (random() < 0.1 ? int(0, 255) : int(0, Math.min(255, classes - 1))));
    const order = Int32Array.from({ length: n }, (_, k) => (random() < 0.05 ? pickOf([-1, n, 2 ** 31 - 1]) : k));
    const options = { batchSize: random() < 0.1 ? pickOf(WILD) : int(1, 3), scale: 1 / 255, offset: random() < 0.05 ? Number.NaN : 0 };
    await expectOkAsync('trainBatches', async () => {
      await net.trainBatches(images, labels, order, options, null, new Int32Array(1));
      trained++;
    });
    await expectOkAsync('evaluate', () => net.evaluate(images, labels, { batchSize: int(1, 300), scale: 1 / 255, offset: 0, probs: random() < 0.5 }));
    const outs = expectOk('forwardAll', () => net.forwardAll(values(random() < 0.95 ? inputSize : int(0, 5))));
    if (outs) assert.equal(outs.length, spec.layers.length);
    expectOk('getParam', () => net.getParam(pickOf([0, 1, 2, ...WILD])));
    expectOk('getSlot', () => net.getSlot(0, pickOf([0, 1, 2, ...WILD])));
    expectOk('setIterations', () => net.setIterations(pickOf([0, 5, ...WILD])));
  }
  // The fuzz must reach the interesting paths, not only refusals.
  assert.ok(built > 500, `only ${built} of 1500 random specs built a network`);
  assert.ok(trained > 300, `only ${trained} networks trained`);
  assert.ok(calls > 8000 && refused > 1000, `${calls} calls, ${refused} refused`);
  if (process.env.CNN_FUZZ_DEBUG) console.log({ built, trained, calls, refused });
});
