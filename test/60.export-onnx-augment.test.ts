/**
 * ONNX export of the preprocessing and augmentation layers, run in onnxruntime against cnn on real
 * MNIST images: the random layers are left out (the identity at inference), Rescaling is Mul/Add,
 * Resizing is Resize (bilinear half_pixel, nearest tf_half_pixel_for_nn), ZeroPadding2D Pad,
 * Cropping2D Slice, Reshape Reshape, in whichever layout (NHWC or NCHW) the value is held.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ort } from './helpers/onnxruntime.js';
import { exportModel } from '../src/cli/commands/export.js';
import { cnnOutputs, logOf, makeWeightsFile, maxAbsDiff, mnistTestImages, preprocess, spreadBetweenImages } from './fixtures/viz/models.js';

const dir = mkdtempSync(join(tmpdir(), 'cnn-onnx-augment-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const rescale = { rescale: 1 / 255 };
const softmax = { type: 'Dense', name: 'out', units: 10, activation: 'softmax' };

async function compare(raw: object, file: string): Promise<string[]> {
  const weights = join(dir, `${file}.bin`);
  const out = join(dir, `${file}.onnx`);
  const { config, net } = await makeWeightsFile(raw, weights);
  await exportModel({ weights, format: 'onnx', out });
  const bytes = readFileSync(out);
  const session = await ort.InferenceSession.create(bytes);
  const { images, count } = mnistTestImages(16);
  const x = preprocess(images, config);
  const result = await session.run({ input: new ort.Tensor('float32', x, [count, ...config.input_shape]) });
  const got = result.output.data as Float32Array;
  const want = cnnOutputs(net, x, count);
  const logDiff = maxAbsDiff(logOf(got), logOf(want));
  const spread = spreadBetweenImages(logOf(want), count);
  assert.ok(logDiff < 1e-3, `${file}: log-probabilities differ by ${logDiff}`);
  assert.ok(spread > 100 * logDiff && spread > 0.04, `${file}: outputs vary too little between images (${spread})`);
  return [...bytes.toString('latin1').matchAll(/\/(Resize|Pad|Slice|Reshape|Mul|Add)\b/g)].map((m) => m[1]);
}

test('ONNX: random layers vanish; Rescaling, bilinear Resizing, ZeroPadding2D, Cropping2D and Reshape match cnn in NHWC and NCHW', async () => {
  const ops = await compare(
    {
      name: 'augment_a',
      input_shape: [28, 28, 1],
      layers: [
        { type: 'RandomFlip', name: 'flip' },
        { type: 'RandomRotation', name: 'turn', factor: 0.2 },
        { type: 'RandomContrast', name: 'contrast', factor: 0.5, value_range: [0, 1] },
        { type: 'Rescaling', name: 'scale', scale: 2, offset: -1 },
        { type: 'Resizing', name: 'resize', height: 17, width: 23 },
        { type: 'ZeroPadding2D', name: 'pad_nhwc', padding: [[1, 2], [3, 0]] },
        { type: 'Conv2D', name: 'conv', filters: 4, kernel_size: 3, activation: 'relu' },
        { type: 'ZeroPadding2D', name: 'pad_nchw', padding: 1 },
        { type: 'Cropping2D', name: 'crop_nchw', cropping: [[1, 0], [2, 1]] },
        { type: 'MaxPooling2D', name: 'pool' },
        { type: 'Reshape', name: 'reshape', target_shape: [-1, 4] },
        { type: 'Flatten', name: 'flatten' },
        softmax,
      ],
      preprocessing: rescale,
    },
    'a',
  );
  for (const op of ['Mul', 'Add', 'Resize', 'Pad', 'Slice', 'Reshape']) assert.ok(ops.includes(op), `${op} in ${ops.join(' ')}`);
});

test('ONNX: nearest Resizing, crop_to_aspect_ratio and pad_to_aspect_ratio (with its fill_value) match cnn', async () => {
  for (const [i, resize] of [
    { height: 13, width: 9, interpolation: 'nearest' },
    { height: 10, width: 16, crop_to_aspect_ratio: true },
    { height: 12, width: 20, pad_to_aspect_ratio: true, fill_value: 0.5, interpolation: 'nearest' },
    { height: 20, width: 8, pad_to_aspect_ratio: true, fill_value: -1 },
  ].entries()) {
    await compare(
      {
        name: `augment_${i}`,
        input_shape: [28, 28, 1],
        layers: [{ type: 'Resizing', name: 'resize', ...resize }, { type: 'Cropping2D', name: 'crop', cropping: [0, 1] }, { type: 'Flatten', name: 'flatten' }, softmax],
        preprocessing: rescale,
      },
      `resize_${i}`,
    );
  }
});
