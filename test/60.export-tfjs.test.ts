import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportModel } from '../src/cli/commands/export.js';
import { importTfjsModel } from '../src/export/tfjs-import.js';
import { readWeightsFile, writeWeightsFile } from '../src/model/weights-file.js';
import { loadTrainedModel } from '../src/train/model.js';
import {
  CHANNELS_FIRST_CONFIG,
  EVERYTHING_CONFIG,
  GLOBAL_POOL_CONFIG,
  cnnOutputs,
  logOf,
  makeWeightsFile,
  maxAbsDiff,
  mnistTestImages,
  preprocess,
  spreadBetweenImages,
} from './fixtures/viz/models.js';
import { loadTfjsModel, tfjsPredict } from './fixtures/viz/tfjs-load.js';

const dir = mkdtempSync(join(tmpdir(), 'cnn-tfjs-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function compareWithTfjs(raw: object, file: string): Promise<string> {
  const weights = join(dir, `${file}.bin`);
  const out = join(dir, file);
  const { config, net } = await makeWeightsFile(raw, weights);
  const r = await exportModel({ weights, format: 'tfjs', out });
  assert.deepEqual(r.files, [join(out, 'model.json'), join(out, 'weights.bin')]);
  const model = await loadTfjsModel(out);
  const { images, count } = mnistTestImages(16);
  const x = preprocess(images, config);
  const got = tfjsPredict(model, x, [count, ...config.input_shape]);
  const want = cnnOutputs(net, x, count);
  assert.equal(got.length, want.length);
  const diff = maxAbsDiff(got, want);
  assert.ok(diff < 1e-4, `probabilities differ by ${diff}`);
  const logDiff = maxAbsDiff(logOf(got), logOf(want));
  assert.ok(logDiff < 1e-3, `log-probabilities differ by ${logDiff}`);
  assert.ok(spreadBetweenImages(logOf(want), count) > 0.04, 'outputs vary between images');
  return out;
}

test('TensorFlow.js export of every layer type and activation predicts what cnn predicts', async () => {
  const out = await compareWithTfjs(EVERYTHING_CONFIG, 'everything');
  const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
  const classes = json.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name);
  // leaky_relu has no TensorFlow.js activation: it becomes a LeakyReLU layer after the Conv2D/Dense.
  assert.equal(classes.filter((c: string) => c === 'LeakyReLU').length, 2);
});

test('TensorFlow.js export with GlobalAveragePooling2D and channels_first predicts what cnn predicts', async () => {
  await compareWithTfjs(GLOBAL_POOL_CONFIG, 'gap');
  await compareWithTfjs(CHANNELS_FIRST_CONFIG, 'channels-first');
});

test('export to TensorFlow.js then cnn import gives back the same config and weights', async () => {
  const weights = join(dir, 'round.bin');
  await makeWeightsFile(EVERYTHING_CONFIG, weights);
  const out = join(dir, 'round');
  await exportModel({ weights, format: 'tfjs', out });
  const imported = await importTfjsModel(out);
  const original = await readWeightsFile(weights);
  assert.deepEqual(imported.config, original.config);
  assert.deepEqual(imported.tensors.map((t) => t.name), original.tensors.map((t) => t.name));
  imported.tensors.forEach((t, i) => assert.deepEqual(t.data, original.tensors[i].data, t.name));
});

test('cnn import reads a Keras-converter model (wrapped topology, InputLayer, prefixed weight names)', async () => {
  const folder = join(dir, 'keras');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(folder);
  const kernel = Float32Array.from({ length: 3 * 3 * 1 * 2 }, (_, i) => (i % 7) / 7 - 0.4);
  const bias = Float32Array.of(0.1, -0.2);
  const dense = Float32Array.from({ length: 2 * 13 * 13 * 10 }, (_, i) => Math.sin(i));
  const denseBias = Float32Array.from({ length: 10 }, (_, i) => i / 100);
  const all = [kernel, bias, dense, denseBias];
  const bytes = Buffer.concat(all.map((a) => Buffer.from(a.buffer)));
  writeFileSync(join(folder, 'group1-shard1of1.bin'), bytes);
  const modelJson = {
    format: 'layers-model',
    modelTopology: {
      keras_version: '2.15.0',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Sequential',
        config: {
          name: 'sequential',
          layers: [
            { class_name: 'InputLayer', config: { batch_input_shape: [null, 28, 28, 1], name: 'input_1' } },
            { class_name: 'Conv2D', config: { name: 'conv2d', filters: 2, kernel_size: [3, 3], strides: [1, 1], padding: 'valid', activation: 'relu', use_bias: true } },
            { class_name: 'MaxPooling2D', config: { name: 'max_pooling2d', pool_size: [2, 2], strides: [2, 2], padding: 'valid' } },
            { class_name: 'Flatten', config: { name: 'flatten' } },
            { class_name: 'Dense', config: { name: 'dense', units: 10, activation: 'softmax' } },
          ],
        },
      },
    },
    weightsManifest: [
      {
        paths: ['group1-shard1of1.bin'],
        weights: [
          { name: 'sequential/conv2d/kernel', shape: [3, 3, 1, 2], dtype: 'float32' },
          { name: 'sequential/conv2d/bias', shape: [2], dtype: 'float32' },
          { name: 'sequential/dense/kernel', shape: [338, 10], dtype: 'float32' },
          { name: 'sequential/dense/bias', shape: [10], dtype: 'float32' },
        ],
      },
    ],
  };
  writeFileSync(join(folder, 'model.json'), JSON.stringify(modelJson));
  const contents = await importTfjsModel(join(folder, 'model.json'), { dataset: 'mnist', rescale: 1 / 255 });
  const w = join(dir, 'keras.bin');
  await writeWeightsFile(w, contents);
  const { config, net } = await loadTrainedModel(w);
  assert.deepEqual(config.input_shape, [28, 28, 1]);
  assert.equal(config.dataset, 'mnist');
  assert.deepEqual(config.layers.map((l) => l.type), ['Conv2D', 'MaxPooling2D', 'Flatten', 'Dense']);
  assert.deepEqual(net.getParam(0), kernel);
  assert.deepEqual(net.getParam(3), denseBias);
});

test('cnn import names the unsupported layer or weight', async () => {
  const folder = join(dir, 'bad');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(folder);
  const topology = (layers: object[]) => ({ modelTopology: { class_name: 'Sequential', config: { name: 's', layers } }, weightsManifest: [{ paths: [], weights: [] }] });
  writeFileSync(join(folder, 'model.json'), JSON.stringify(topology([{ class_name: 'LSTM', config: { name: 'lstm', batch_input_shape: [null, 28, 28] } }])));
  await assert.rejects(importTfjsModel(folder), /layer 0 \(lstm, LSTM\) is not supported/);
  writeFileSync(
    join(folder, 'model.json'),
    JSON.stringify(topology([{ class_name: 'Flatten', config: { name: 'f', batch_input_shape: [null, 4, 4, 1] } }, { class_name: 'Dense', config: { name: 'd', units: 10, activation: 'softmax' } }])),
  );
  await assert.rejects(importTfjsModel(folder), /has no weight d\/kernel/);
  writeFileSync(join(folder, 'model.json'), JSON.stringify({ modelTopology: { class_name: 'Functional', config: {} } }));
  await assert.rejects(importTfjsModel(folder), /is a Functional \(functional API\) model; cnn imports TensorFlow.js layers models of class Sequential/);
});
