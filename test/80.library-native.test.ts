/**
 * The native network's guards as the library meets them: the learning-rate setter (a change keeps the
 * same native network and takes effect at the next batch) and the addon's label check (the core's
 * cross-entropy reads probs[label] unchecked, so the addon refuses a label >= the class count).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { CnnError } from '../src/index.js';
import { bands, flatWeights, tinyModel } from './helpers/library.js';

const cancelFlag = () => new Int32Array(new SharedArrayBuffer(4));

test('setting optimizer.learningRate keeps the native network and trains at the new rate from the next batch', async () => {
  const { images, labels } = bands(16);
  const changed = tinyModel({ optimizer: 'sgd', learningRate: 0.5 });
  const net = changed.native(); // built now, at 0.5
  await changed.fit(images, labels, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
  changed.optimizer.learningRate = 0.05;
  assert.equal(changed.native(), net, 'the same native network (not a rebuilt one)');
  await changed.fit(images, labels, { epochs: 2, initialEpoch: 1, batchSize: 16, shuffle: false, verbose: 0 });

  // The same two steps where the second runs at 0.05, by a model whose network was never touched.
  const reference = tinyModel({ optimizer: 'sgd', learningRate: 0.5 });
  await reference.fit(images, labels, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
  reference.native().setLearningRate(0.05);
  await reference.fit(images, labels, { epochs: 2, initialEpoch: 1, batchSize: 16, shuffle: false, verbose: 0 });
  const stayed = tinyModel({ optimizer: 'sgd', learningRate: 0.5 });
  await stayed.fit(images, labels, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 });

  assert.deepEqual(flatWeights(changed), flatWeights(reference));
  assert.notDeepEqual(flatWeights(changed), flatWeights(stayed), 'the second step ran at another rate than 0.5');
  assert.equal(changed.optimizer.iterations, 2);
  assert.equal(changed.optimizer.learningRate, Math.fround(0.05));
});

test('the addon refuses a non-finite or negative learning rate, and any change while a batch runs', async () => {
  const model = tinyModel();
  const net = model.native();
  for (const bad of [-0.1, NaN, Infinity]) {
    assert.throws(() => net.setLearningRate(bad), (e: unknown) => e instanceof CnnError && e.code === 'ERR_BAD_OPTION' && /learning rate must be a finite number >= 0/.test(e.message));
  }
  const { images, labels } = bands(64);
  const order = Int32Array.from({ length: 64 }, (_, i) => i);
  const running = net.trainBatches(images, labels, order, { batchSize: 8, scale: 1 / 255, offset: 0 }, null, cancelFlag());
  assert.throws(() => net.setLearningRate(0.1), (e: unknown) => e instanceof CnnError && e.code === 'ERR_BUSY');
  await running;
  net.setLearningRate(0); // 0 is allowed (Keras: the weights stay)
});

test('trainBatches and evaluate refuse a label >= the number of classes, naming its index and value', async () => {
  const model = tinyModel(); // 3 classes
  const net = model.native();
  const { images, labels } = bands(8);
  labels[5] = 3;
  const order = Int32Array.from({ length: 8 }, (_, i) => i);
  const bad = (e: unknown) => e instanceof CnnError && e.code === 'ERR_BAD_INPUT' && e.message.includes("labels[5] is 3, not below the network's 3 classes");
  const before = flatWeights(model);
  assert.throws(() => net.trainBatches(images, labels, order, { batchSize: 8, scale: 1 / 255, offset: 0 }, null, cancelFlag()), bad);
  assert.throws(() => net.evaluate(images, labels, { scale: 1 / 255, offset: 0 }), bad);
  labels[5] = 255;
  assert.throws(() => net.evaluate(images, labels, { scale: 1 / 255, offset: 0 }), (e: unknown) => e instanceof CnnError && /labels\[5\] is 255/.test(e.message));
  assert.deepEqual(flatWeights(model), before, 'nothing was trained');
  labels[5] = 2;
  const r = await net.evaluate(images, labels, { scale: 1 / 255, offset: 0 });
  assert.equal(r.count, 8);
});
