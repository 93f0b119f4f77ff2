/**
 * model.fit runs on the same training loop as `cnn train` (src/train/trainer.ts's train()): the model's
 * training state follows the loop, so a file that ModelCheckpoint writes at the end of an epoch records
 * that epoch as finished (and `cnn train --resume` of it continues with the next one).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelCheckpoint, loadModel, readWeightsFile } from '../src/index.js';
import { bands, flatWeights, tinyModel } from './helpers/library.js';

test('a checkpoint written at the end of epoch N by ModelCheckpoint says N epochs are finished, with their history', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnn-loop-'));
  try {
    const { images, labels } = bands(24);
    const model = tinyModel();
    const path = join(dir, 'epoch{epoch}.weights.bin');
    await model.fit(images, labels, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [new ModelCheckpoint(path)] });
    for (const epoch of [1, 2]) {
      const file = await readWeightsFile(join(dir, `epoch${epoch}.weights.bin`));
      const training = file.training as { epoch: number; step: number; history: { epoch: number }[] };
      assert.equal(training.epoch, epoch, `epoch${epoch}.weights.bin records ${epoch} finished epochs`);
      assert.equal(training.step, 0);
      assert.deepEqual(training.history.map((r) => r.epoch), Array.from({ length: epoch }, (_, i) => i + 1));
    }
    // Resuming the first checkpoint for its second epoch gives the weights of the uninterrupted run.
    const resumed = await loadModel(join(dir, 'epoch1.weights.bin'));
    await resumed.fit(images, labels, { epochs: 2, initialEpoch: 1, batchSize: 8, verbose: 0 });
    assert.deepEqual(flatWeights(resumed), flatWeights(model));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('batch hooks are awaited in order: a slow onBatchEnd finishes before the next batch begins', async () => {
  const { images, labels } = bands(24);
  const model = tinyModel();
  const order: string[] = [];
  await model.fit(images, labels, {
    epochs: 1,
    batchSize: 8,
    verbose: 0,
    callbacks: [
      {
        onBatchBegin: (b: number) => {
          order.push(`begin ${b} at ${model.optimizer.iterations}`);
        },
        onBatchEnd: async (b: number) => {
          await new Promise((r) => setTimeout(r, 5));
          order.push(`end ${b}`);
        },
      },
    ],
  });
  assert.deepEqual(order, ['begin 0 at 0', 'end 0', 'begin 1 at 1', 'end 1', 'begin 2 at 2', 'end 2']);
});
