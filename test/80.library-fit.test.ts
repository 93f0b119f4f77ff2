/**
 * The library's fit/evaluate/predict/save: Keras's semantics, off the event loop, cancellable with an
 * AbortSignal, resumable from a saved file, and the CLI's validation messages.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CnnError, layers, loadModel, modelFromConfig, sequential, type Logs } from '../src/index.js';
import { readWeightsFile } from '../src/model/weights-file.js';
import { bands, flatWeights, tinyModel } from './helpers/library.js';

const code = (c: string) => (e: unknown) => e instanceof CnnError && e.code === c;

test('fit returns Keras\'s History: history.loss/accuracy/val_*, epoch indices; evaluate and predict', async () => {
  const model = tinyModel();
  const data = bands(120);
  const h = await model.fit(data, { epochs: 3, batchSize: 16, validationSplit: 0.25, verbose: 0 });
  assert.deepEqual(h.epoch, [0, 1, 2]);
  assert.deepEqual(Object.keys(h.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
  assert.ok(h.history.loss![2] < h.history.loss![0], `the loss falls: ${h.history.loss}`);
  const e = await model.evaluate(data.images, data.labels);
  assert.ok(e.loss > 0 && e.accuracy! > 0.5, JSON.stringify(e));
  const p = await model.predict({ data: data.images.subarray(0, 128), shape: [2, 8, 8, 1] });
  assert.deepEqual(p.shape, [2, 3]);
  assert.ok(Math.abs(p.data[0] + p.data[1] + p.data[2] - 1) < 1e-5);
  assert.equal(model.optimizer.iterations, 3 * Math.ceil(90 / 16));
});

test('initialEpoch/epochs follow Keras (epochs is the last epoch); save + loadModel + fit continue exactly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnn-resume-'));
  try {
    const data = bands(96);
    const straight = tinyModel();
    await straight.fit(data, { epochs: 2, batchSize: 16, verbose: 0 });
    const first = tinyModel();
    await first.fit(data, { epochs: 1, batchSize: 16, verbose: 0 });
    const file = join(dir, 'm.bin');
    await first.save(file);
    const saved = await readWeightsFile(file);
    assert.equal(saved.optimizer?.type, 'adam');
    assert.equal((saved.training as { epoch: number }).epoch, 1);
    const resumed = await loadModel(file);
    assert.equal(resumed.optimizer.iterations, 6);
    const h = await resumed.fit(data, { epochs: 2, initialEpoch: 1, batchSize: 16, verbose: 0 });
    assert.deepEqual(h.epoch, [1]);
    assert.deepEqual(flatWeights(resumed), flatWeights(straight), 'the same weights, bit for bit, as two epochs in one go');
    const p1 = await resumed.predict(data.images);
    const again = await loadModel(file);
    assert.notDeepEqual(Array.from((await again.predict(data.images)).data), Array.from(p1.data));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an AbortSignal stops fit within one batch; the model stays usable', async () => {
  const model = tinyModel();
  const data = bands(3000);
  const controller = new AbortController();
  let atAbort = -1;
  const timer = setTimeout(() => {
    controller.abort(); // first: a batch of 8 takes microseconds, so reading first could miss several
    atAbort = model.optimizer.iterations;
  }, 150);
  const started = Date.now();
  await assert.rejects(model.fit(data, { epochs: 50, batchSize: 8, verbose: 0, signal: controller.signal }), code('ERR_ABORTED'));
  clearTimeout(timer);
  assert.ok(atAbort > 0, 'training was under way when aborted');
  assert.ok(model.optimizer.iterations - atAbort <= 1, `at most the batch in flight finished after the abort (${atAbort} -> ${model.optimizer.iterations})`);
  assert.ok(Date.now() - started < 5000);
  const p = await model.predict(data.images.subarray(0, 64));
  assert.equal(p.shape[0], 1);
  const h = await model.fit(data, { epochs: 1, batchSize: 64, verbose: 0 });
  assert.equal(h.epoch.length, 1);
  await assert.rejects(model.fit(data, { signal: AbortSignal.abort(), verbose: 0 }), code('ERR_ABORTED'));
});

test('the event loop keeps running during fit (a setInterval keeps firing)', async () => {
  const model = tinyModel();
  const data = bands(6000);
  // As many epochs as make the run last about a second on this machine, fast or loaded, so that a
  // blocked loop could not hide in a short run.
  const probe = performance.now();
  await model.fit(data, { epochs: 1, batchSize: 8, verbose: 0 });
  const epochs = Math.min(400, Math.max(2, Math.ceil(1000 / Math.max(1, performance.now() - probe))));
  let ticks = 0;
  let last = performance.now();
  let worstGap = 0;
  const interval = setInterval(() => {
    const now = performance.now();
    worstGap = Math.max(worstGap, now - last);
    last = now;
    ticks += 1;
  }, 10);
  const started = performance.now();
  await model.fit(data, { epochs, batchSize: 8, verbose: 0 });
  const ms = performance.now() - started;
  clearInterval(interval);
  assert.ok(ms > 300, `fit ran long enough to tell (${ms.toFixed(0)} ms)`);
  assert.ok(ticks >= ms / 10 / 4, `${ticks} ticks in ${ms.toFixed(0)} ms`);
  // Blocked by the training, the loop would miss at least an epoch's worth (about ms / 2); a loaded
  // machine may delay a timer by a scheduling slice, which is why the bound grows with the run.
  assert.ok(worstGap < Math.max(250, ms / 3), `the longest the loop was blocked: ${worstGap.toFixed(0)} ms of ${ms.toFixed(0)} ms`);
});

test('batch hooks are awaited in order; stopTraining set in onBatchEnd ends fit after that batch', async () => {
  const model = tinyModel();
  const data = bands(64);
  const events: string[] = [];
  const h = await model.fit(data, {
    epochs: 3,
    batchSize: 16,
    verbose: 0,
    callbacks: [
      {
        onTrainBegin: () => void events.push('trainBegin'),
        onEpochBegin: (e: number) => void events.push(`epochBegin ${e}`),
        onBatchBegin: (b: number) => void events.push(`batchBegin ${b}`),
        onBatchEnd: async (b: number, logs: Logs) => {
          await new Promise((r) => setTimeout(r, 5));
          events.push(`batchEnd ${b} ${logs.loss! > 0}`);
          if (b === 2) model.stopTraining = true;
        },
        onEpochEnd: (e: number, logs: Logs) => void events.push(`epochEnd ${e} ${Object.keys(logs).sort().join(',')}`),
        onTrainEnd: () => void events.push('trainEnd'),
      },
    ],
  });
  assert.deepEqual(events, [
    'trainBegin',
    'epochBegin 0',
    'batchBegin 0',
    'batchEnd 0 true',
    'batchBegin 1',
    'batchEnd 1 true',
    'batchBegin 2',
    'batchEnd 2 true',
    'epochEnd 0 accuracy,loss',
    'trainEnd',
  ]);
  assert.deepEqual(h.epoch, [0]);
  assert.equal(model.optimizer.iterations, 3);
});

test('bad input is one CnnError naming what is wrong', async () => {
  const model = tinyModel();
  await assert.rejects(model.fit(new Float64Array(64) as never, new Uint8Array(1)), (e: Error) => code('ERR_UNSUPPORTED_INPUT')(e) && /is a Float64Array: give preprocessed floats as a Float32Array/.test(e.message));
  await assert.rejects(model.fit(new Float32Array(64).fill(NaN, 7), new Uint8Array(1)), /fit\(x\)\[7\] is NaN; float inputs must be finite numbers/);
  await assert.rejects(model.fit(new Uint8Array(64 * 2), new Uint8Array([0, 3])), /y\[1\] is 3, not below the model's 3 classes/);
  await assert.rejects(model.fit(new Uint8Array(100), new Uint8Array(1)), /not a whole number of \(8, 8, 1\) examples/);
  await assert.rejects(model.fit({ data: new Uint8Array(2 * 64), shape: [2, 4, 16, 1] }, [0, 1]), /examples of shape \(4, 16, 1\) but the model takes \(8, 8, 1\)/);
  await assert.rejects(model.fit(bands(8), { epochz: 2 } as never), /unknown option epochz/);
  const uncompiled = sequential({ inputShape: [8, 8, 1], layers: [layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })] });
  await assert.rejects(uncompiled.fit(bands(8)), /You must call compile\(\) before fit\(\)/);
});

test('a model from code and the same config file get the same validation errors, with JSON paths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnn-cfg-'));
  try {
    const bad = { input_shape: [28, 28, 1], layers: [{ type: 'Conv2D', filters: 8, kernel_size: 0 }, { type: 'Dense', units: 10, activation: 'softmax' }] };
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(bad));
    const issues = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        assert.equal((e as CnnError).code, 'ERR_BAD_CONFIG');
        return (e as Error).message.replace(/^[^:]*: /, '');
      }
      assert.fail('no error');
    };
    const fromFile = issues(() => modelFromConfig(file));
    const fromCode = issues(() => sequential({ inputShape: [28, 28, 1], layers: [layers.conv2d({ filters: 8, kernelSize: 0 }), layers.dense({ units: 10, activation: 'softmax' })] }));
    assert.equal(fromCode, fromFile);
    assert.match(fromCode, /layers\[0\]\.kernel_size \[conv2d \(Conv2D\)\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('model.layers: names, output shapes, parameter counts, weights with shapes; summary is Keras\'s table', () => {
  const model = modelFromConfig('fashion-mnist.json');
  assert.deepEqual(model.layers.map((l) => l.name), ['conv2d', 'max_pooling2d', 'conv2d_1', 'max_pooling2d_1', 'conv2d_2', 'flatten', 'dense', 'dense_1']);
  assert.deepEqual(model.layers[0].outputShape, [null, 26, 26, 32]);
  assert.equal(model.countParams(), 93322);
  const [kernel, bias] = model.layers[0].getWeights();
  assert.deepEqual([kernel.name, kernel.shape, kernel.data.length, bias.shape], ['conv2d/kernel', [3, 3, 1, 32], 288, [32]]);
  assert.ok(kernel.data instanceof Float32Array);
  assert.match(model.summary(), /Total params: 93,322 \(364\.54 KB\)/);
  assert.match(model.summary(), /conv2d_1 \(Conv2D\)/);
});

test('seed 004\'s model built in code is the config the CLI trains (data/fashion-mnist.json)', () => {
  const code = sequential({
    inputShape: [28, 28, 1],
    preprocessing: { rescale: 1 / 255 },
    seed: 2,
    layers: [
      layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      layers.flatten(),
      layers.dense({ units: 64, activation: 'relu' }),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  code.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const file = modelFromConfig('fashion-mnist.json').config;
  const mine = code.config;
  assert.deepEqual(mine.layers, file.layers);
  assert.deepEqual([mine.input_shape, mine.optimizer, mine.loss, mine.metrics, mine.seed, mine.preprocessing], [file.input_shape, file.optimizer, file.loss, file.metrics, file.seed, file.preprocessing]);
  assert.deepEqual(flatWeights(code), flatWeights(modelFromConfig('fashion-mnist.json')), 'the same initial weights');
});

test('validationData as [x, y] gives val_* metrics; snake_case and camelCase layer options mean the same', async () => {
  const model = tinyModel();
  const train = bands(60);
  const val = bands(30, 7);
  const h = await model.fit(train.images, train.labels, { epochs: 2, batchSize: 20, verbose: 0, validationData: [val.images, val.labels] });
  assert.equal(h.history.val_loss!.length, 2);
  const e = await model.evaluate(val);
  assert.ok(Math.abs(e.loss - h.history.val_loss![1]) < 1e-9, 'val_loss is evaluate() on the validation data');
  const camel = sequential({ inputShape: [8, 8, 1], layers: [layers.conv2d({ filters: 2, kernelSize: 3, useBias: false }), layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })] });
  const snake = sequential({ inputShape: [8, 8, 1], layers: [layers.conv2d({ filters: 2, kernel_size: 3, use_bias: false } as never), layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })] });
  assert.deepEqual(camel.config.layers, snake.config.layers);
  assert.throws(() => layers.conv2d({ filters: 2, kernelSize: 3, kernel_size: 3 } as never), /kernelSize and kernel_size are the same option/);
});

test('ModelCheckpoint with saveFreq in batches saves during the epoch; save() stores the finished epochs as cnn train does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnn-freq-'));
  try {
    const { ModelCheckpoint } = await import('../src/index.js');
    const model = tinyModel();
    const file = join(dir, 'b{batch}.bin');
    await model.fit(bands(64), { epochs: 1, batchSize: 16, verbose: 0, callbacks: [new ModelCheckpoint(file, { saveFreq: 2 })] });
    const b2 = await readWeightsFile(join(dir, 'b2.bin'));
    const b4 = await readWeightsFile(join(dir, 'b4.bin'));
    assert.equal(b2.optimizer?.iterations, 2);
    assert.equal(b4.optimizer?.iterations, 4);
    await model.save(join(dir, 'end.bin'));
    const t = (await readWeightsFile(join(dir, 'end.bin'))).training as { epoch: number; step: number; history: { epoch: number }[] };
    assert.deepEqual([t.epoch, t.step, t.history.map((r) => r.epoch)], [1, 0, [1]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
