/**
 * TensorFlow.js export of the preprocessing and augmentation layers, loaded with @tensorflow/tfjs:
 * the random layers are left out (the identity at inference), Rescaling, ZeroPadding2D, Cropping2D and
 * Reshape are TensorFlow.js's own layers and predict what cnn predicts; Resizing, which TensorFlow.js
 * computes differently, is refused with a message saying why.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportModel } from '../src/cli/commands/export.js';
import { cnnOutputs, logOf, makeWeightsFile, maxAbsDiff, mnistTestImages, preprocess, spreadBetweenImages } from './fixtures/viz/models.js';
import { loadTfjsModel, tfjsPredict } from './fixtures/viz/tfjs-load.js';

const dir = mkdtempSync(join(tmpdir(), 'cnn-tfjs-augment-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const softmax = { type: 'Dense', name: 'out', units: 10, activation: 'softmax' };

test('TensorFlow.js: random layers left out; Rescaling, ZeroPadding2D, Cropping2D and Reshape predict what cnn predicts', async () => {
  const weights = join(dir, 'a.bin');
  const out = join(dir, 'a');
  const { config, net } = await makeWeightsFile(
    {
      name: 'augment_tfjs',
      input_shape: [28, 28, 1],
      layers: [
        { type: 'RandomFlip', name: 'flip' },
        { type: 'RandomZoom', name: 'zoom', height_factor: 0.2 },
        { type: 'Rescaling', name: 'scale', scale: 2, offset: -1 },
        { type: 'ZeroPadding2D', name: 'pad', padding: [[1, 2], [3, 0]] },
        { type: 'Conv2D', name: 'conv', filters: 3, kernel_size: 3, activation: 'relu' },
        { type: 'Cropping2D', name: 'crop', cropping: [[2, 0], [1, 3]] },
        { type: 'Reshape', name: 'reshape', target_shape: [-1, 3] },
        { type: 'Flatten', name: 'flatten' },
        softmax,
      ],
      preprocessing: { rescale: 1 / 255 },
    },
    weights,
  );
  await exportModel({ weights, format: 'tfjs', out });
  const classes = (JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).modelTopology.config.layers as { class_name: string }[]).map((l) => l.class_name);
  assert.deepEqual(classes.filter((c) => c !== 'InputLayer'), ['Rescaling', 'ZeroPadding2D', 'Conv2D', 'Cropping2D', 'Reshape', 'Flatten', 'Dense']);
  const model = await loadTfjsModel(out);
  const { images, count } = mnistTestImages(16);
  const x = preprocess(images, config);
  const got = tfjsPredict(model, x, [count, ...config.input_shape]);
  const want = cnnOutputs(net, x, count);
  const logDiff = maxAbsDiff(logOf(got), logOf(want));
  assert.ok(logDiff < 1e-3, `log-probabilities differ by ${logDiff}`);
  assert.ok(spreadBetweenImages(logOf(want), count) > 0.04, 'outputs vary between images');
});

test('TensorFlow.js: a Resizing layer is refused, naming the layer and the formats that take it', async () => {
  const weights = join(dir, 'r.bin');
  await makeWeightsFile({ name: 'r', input_shape: [28, 28, 1], layers: [{ type: 'Resizing', name: 'resize', height: 14, width: 14 }, { type: 'Flatten' }, softmax] }, weights);
  await assert.rejects(exportModel({ weights, format: 'tfjs', out: join(dir, 'r') }), {
    code: 'ERR_EXPORT',
    message: "layer resize (Resizing): TensorFlow.js's Resizing computes other values than Keras's (align_corners sampling, no crop or pad to the aspect ratio); export to ONNX or Keras instead",
  });
});
