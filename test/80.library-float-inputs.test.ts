/**
 * Float32Array inputs: preprocessed floats, as Keras takes them. The native worker copies their rows as
 * they are (no rescale/offset), so floats equal to pixel * rescale + offset train, evaluate and predict
 * exactly like the uint8 pixels they came from.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { bands, flatWeights, tinyModel } from './helpers/library.js';

const asFloats = (pixels: Uint8Array) => Float32Array.from(pixels, (v) => Math.fround(v * Math.fround(1 / 255)));

test('fit, evaluate and predict on preprocessed Float32Array x equal the same on the uint8 pixels', async () => {
  const { images, labels } = bands(48);
  const floats = asFloats(images);
  const fromPixels = tinyModel();
  const fromFloats = tinyModel();
  const h1 = await fromPixels.fit(images, labels, { epochs: 2, batchSize: 8, verbose: 0, validationSplit: 0.25 });
  const h2 = await fromFloats.fit(floats, labels, { epochs: 2, batchSize: 8, verbose: 0, validationSplit: 0.25 });
  assert.deepEqual(flatWeights(fromFloats), flatWeights(fromPixels));
  assert.deepEqual(h2.history, h1.history);
  assert.deepEqual(await fromFloats.evaluate(floats, labels), await fromPixels.evaluate(images, labels));
  const p1 = await fromPixels.predict({ data: images, shape: [48, 8, 8, 1] });
  const p2 = await fromFloats.predict({ data: floats, shape: [48, 8, 8, 1] });
  assert.deepEqual(p2.data, p1.data);
  assert.deepEqual(await fromFloats.evaluate({ images: floats, labels }), await fromPixels.evaluate(images, labels));
});

test('Float32Array rows are used as given: the model\'s preprocessing applies to uint8 pixels only', async () => {
  const { images, labels } = bands(12);
  const model = tinyModel();
  const raw = Float32Array.from(images); // 0-255 as floats, not rescaled
  const scaled = await model.evaluate(asFloats(images), labels);
  const unscaled = await model.evaluate(raw, labels);
  assert.notEqual(unscaled.loss, scaled.loss);
  assert.deepEqual(scaled, await model.evaluate(images, labels));
});

test('the addon takes Float32Array images for trainBatches and evaluate, and checks their length', async () => {
  const { images, labels } = bands(8);
  const net = tinyModel().native();
  const floats = asFloats(images);
  const r = await net.evaluate(floats, labels, { scale: 123, offset: 9 }); // scale/offset ignored for floats
  const ref = await net.evaluate(images, labels, { scale: 1 / 255, offset: 0 });
  assert.equal(r.lossSum, ref.lossSum);
  assert.throws(() => net.evaluate(floats.subarray(1), labels, { scale: 1, offset: 0 }), /images must hold labels.length examples/);
  assert.throws(() => net.evaluate(new Float64Array(64 * 8) as never, labels, { scale: 1, offset: 0 }), /images must be a Uint8Array or a Float32Array/);
  const order = Int32Array.from({ length: 8 }, (_, i) => i);
  const t = await net.trainBatches(floats, labels, order, { batchSize: 4, scale: 1, offset: 0 }, null, new Int32Array(new SharedArrayBuffer(4)));
  assert.equal(t.batches, 2);
});
