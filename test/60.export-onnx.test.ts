import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ort } from './helpers/onnxruntime.js';
import { exportModel } from '../src/cli/commands/export.js';
import { ONNX_OPSET } from '../src/export/onnx.js';
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

const dir = mkdtempSync(join(tmpdir(), 'cnn-onnx-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Exports through `cnn export`'s code path, runs the file in onnxruntime and compares with cnn. */
async function compareWithOnnxRuntime(raw: object, file: string): Promise<void> {
  const weights = join(dir, `${file}.bin`);
  const out = join(dir, `${file}.onnx`);
  const { config, net } = await makeWeightsFile(raw, weights);
  const r = await exportModel({ weights, format: 'onnx', out });
  assert.equal(r.opset, ONNX_OPSET);
  const session = await ort.InferenceSession.create(readFileSync(out));
  assert.deepEqual(session.inputNames, ['input']);
  assert.deepEqual(session.outputNames, ['output']);
  const { images, count } = mnistTestImages(16);
  const x = preprocess(images, config);
  const result = await session.run({ input: new ort.Tensor('float32', x, [count, ...config.input_shape]) });
  const got = result.output.data as Float32Array;
  const want = cnnOutputs(net, x, count);
  assert.deepEqual(result.output.dims, [count, 10]);
  const diff = maxAbsDiff(got, want);
  assert.ok(diff < 1e-4, `probabilities differ by ${diff}`);
  // Log-probabilities are the logits up to a constant: they show what the softmax squashes.
  const logDiff = maxAbsDiff(logOf(got), logOf(want));
  const spread = spreadBetweenImages(logOf(want), count);
  assert.ok(logDiff < 1e-3, `log-probabilities differ by ${logDiff}`);
  assert.ok(spread > 100 * logDiff && spread > 0.04, `outputs vary too little between images (${spread}) for the comparison to mean much`);
}

test('ONNX export of every layer type and activation matches cnn on real MNIST images', async () => {
  await compareWithOnnxRuntime(EVERYTHING_CONFIG, 'everything');
});

test('ONNX export with a softmax over an image and GlobalAveragePooling2D matches cnn', async () => {
  await compareWithOnnxRuntime(GLOBAL_POOL_CONFIG, 'gap');
});

test('ONNX export of a channels_first convolution feeding Flatten matches cnn', async () => {
  await compareWithOnnxRuntime(CHANNELS_FIRST_CONFIG, 'channels-first');
});

test('the ONNX model writes swish as Sigmoid then Mul and carries the preprocessing', async () => {
  const weights = join(dir, 'ops.bin');
  const out = join(dir, 'ops.onnx');
  await makeWeightsFile(EVERYTHING_CONFIG, weights);
  await exportModel({ weights, format: 'onnx', out });
  const session = await ort.InferenceSession.create(readFileSync(out));
  assert.ok(session.inputNames.length === 1);
  const text = readFileSync(out).toString('latin1');
  assert.ok(text.includes('conv_dilated/swish_sigmoid'), 'swish is a Sigmoid node followed by Mul');
  assert.ok(!/\bGelu\b|\bHardSwish\b/.test(text), 'no operator newer than opset 13');
  assert.ok(text.includes('preprocessing_rescale') && text.includes('0.00392156862745098'));
});

test('cnn export refuses a wrong --out or --format with a usage error', async () => {
  const weights = join(dir, 'bad.bin');
  await makeWeightsFile(GLOBAL_POOL_CONFIG, weights);
  await assert.rejects(exportModel({ weights, format: 'onnx', out: join(dir, 'x.pb') }), /--out must name a \.onnx file/);
  await assert.rejects(exportModel({ weights, format: 'pytorch', out: join(dir, 'x') }), /--format must be one of onnx, tfjs, keras/);
  await assert.rejects(exportModel({ weights: join(dir, 'missing.bin'), format: 'onnx', out: join(dir, 'x.onnx') }), /missing\.bin/);
});
