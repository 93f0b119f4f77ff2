/**
 * Colour (3-channel) models through every export: the shipped data/cifar10.json model (and a
 * channels_first one) with seeded random parameters, run on RGB images in CIFAR-10's layout, must
 * give cnn's own probabilities in onnxruntime and TensorFlow.js, and come back unchanged through
 * the TensorFlow.js and Keras (.keras) importers.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ort } from './helpers/onnxruntime.js';
import { exportModel } from '../src/cli/commands/export.js';
import { importKerasModel } from '../src/export/keras-import.js';
import { importTfjsModel } from '../src/export/tfjs-import.js';
import { readWeightsFile } from '../src/model/weights-file.js';
import { packageRoot } from '../src/version.js';
import { cnnOutputs, logOf, makeWeightsFile, maxAbsDiff, preprocess, spreadBetweenImages, type TestModel } from './fixtures/viz/models.js';
import { loadTfjsModel, tfjsPredict } from './fixtures/viz/tfjs-load.js';
import { cifarPixel } from './helpers/cifar-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'cnn-colour-export-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const CIFAR_CONFIG = JSON.parse(readFileSync(join(packageRoot, 'data', 'cifar10.json'), 'utf8')) as Record<string, unknown>;
/** A channels_first convolution on (3, 32, 32) inputs feeding Flatten. */
const CHANNELS_FIRST_RGB = {
  name: 'rgb_channels_first',
  input_shape: [3, 32, 32],
  layers: [
    { type: 'Conv2D', name: 'conv_cf', filters: 4, kernel_size: 3, strides: 2, data_format: 'channels_first', activation: 'relu' },
    { type: 'Flatten', name: 'flatten' },
    { type: 'Dense', name: 'dense_out', units: 10, activation: 'softmax' },
  ],
  preprocessing: { rescale: 1 / 255 },
};
const COUNT = 8;

/** COUNT RGB images, channels last (as CIFAR-10 loads), or channels first for a channels_first model. */
function rgbImages(channelsFirst: boolean): Uint8Array {
  const out = new Uint8Array(COUNT * 3072);
  for (let i = 0; i < COUNT; i++) {
    for (let p = 0; p < 1024; p++) {
      for (let ch = 0; ch < 3; ch++) out[i * 3072 + (channelsFirst ? ch * 1024 + p : p * 3 + ch)] = cifarPixel(i % 6, i, p, ch);
    }
  }
  return out;
}

async function model(raw: object, name: string): Promise<TestModel & { weights: string; x: Float32Array; want: Float32Array }> {
  const weights = join(dir, `${name}.bin`);
  const m = await makeWeightsFile(raw, weights);
  const x = preprocess(rgbImages(m.config.input_shape[0] === 3), m.config);
  const want = cnnOutputs(m.net, x, COUNT);
  assert.ok(spreadBetweenImages(logOf(want), COUNT) > 0.04, 'the outputs differ between images, so the comparison means something');
  return { ...m, weights, x, want };
}

function close(got: ArrayLike<number>, want: Float32Array): void {
  assert.equal(got.length, want.length);
  assert.ok(maxAbsDiff(got, want) < 1e-4, `probabilities differ by ${maxAbsDiff(got, want)}`);
  assert.ok(maxAbsDiff(logOf(got), logOf(want)) < 1e-3, 'log-probabilities differ');
}

test('ONNX export of the colour cifar10.json model (and a channels_first RGB one) runs in onnxruntime as in cnn', async () => {
  for (const [raw, name] of [[CIFAR_CONFIG, 'cifar'], [CHANNELS_FIRST_RGB, 'rgb-cf']] as const) {
    const { config, weights, x, want } = await model(raw, name);
    const out = join(dir, `${name}.onnx`);
    await exportModel({ weights, format: 'onnx', out });
    const session = await ort.InferenceSession.create(readFileSync(out));
    const result = await session.run({ input: new ort.Tensor('float32', x, [COUNT, ...config.input_shape]) });
    assert.deepEqual(result.output.dims, [COUNT, 10]);
    close(result.output.data as Float32Array, want);
  }
});

test('TensorFlow.js export of colour models predicts what cnn predicts, and imports back unchanged', async () => {
  for (const [raw, name] of [[CIFAR_CONFIG, 'cifar'], [CHANNELS_FIRST_RGB, 'rgb-cf']] as const) {
    const { config, weights, x, want } = await model(raw, name);
    const out = join(dir, `${name}-tfjs`);
    await exportModel({ weights, format: 'tfjs', out });
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    assert.deepEqual(json.modelTopology.config.layers[0].config.batch_input_shape, [null, ...config.input_shape]);
    close(tfjsPredict(await loadTfjsModel(out), x, [COUNT, ...config.input_shape]), want);
    const imported = await importTfjsModel(out);
    const original = await readWeightsFile(weights);
    assert.deepEqual(imported.config, original.config);
    imported.tensors.forEach((t, i) => assert.deepEqual(t.data, original.tensors[i].data, t.name));
  }
});

test('Keras (.keras) export of colour models imports back with the same config (dataset cifar10) and weights', async () => {
  for (const [raw, name] of [[CIFAR_CONFIG, 'cifar'], [CHANNELS_FIRST_RGB, 'rgb-cf']] as const) {
    const { weights } = await model(raw, name);
    const out = join(dir, `${name}.keras`);
    await exportModel({ weights, format: 'keras', out, force: true });
    const imported = await importKerasModel(out);
    const original = await readWeightsFile(weights);
    assert.deepEqual(imported.config, original.config);
    assert.deepEqual(imported.tensors.map((t) => [t.name, t.shape]), original.tensors.map((t) => [t.name, t.shape]));
    imported.tensors.forEach((t, i) => assert.deepEqual(t.data, original.tensors[i].data, t.name));
  }
  const kernel = (await readWeightsFile(join(dir, 'cifar.bin'))).tensors.find((t) => t.name.endsWith('kernel'));
  assert.deepEqual(kernel?.shape, [3, 3, 3, 32], 'the first kernel has 3 input channels');
});
