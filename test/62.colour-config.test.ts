/**
 * Colour in configs: the shipped cifar10.json (the TensorFlow tutorial's CNN, 122,570 parameters),
 * the spellings of its dataset, and the messages when input_shape and the dataset's images disagree.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getDataset } from '../src/data/index.js';
import { modelParams } from '../src/model/params.js';
import { resolveConfig } from '../src/model/shipped.js';
import { validateConfig } from '../src/model/validate.js';
import { packageRoot } from '../src/version.js';

const shipped = () => JSON.parse(readFileSync(join(packageRoot, 'data', 'cifar10.json'), 'utf8')) as Record<string, unknown>;

test('cifar10.json: the tutorial\'s shapes and 122,570 parameters, 3 input channels; it validates to itself', () => {
  const { config } = resolveConfig('cifar10.json');
  assert.deepEqual(config.input_shape, [32, 32, 3]);
  assert.equal(config.dataset, 'cifar10');
  const p = modelParams(config);
  assert.deepEqual(p.shapes.map((s) => s.output), [[30, 30, 32], [15, 15, 32], [13, 13, 64], [6, 6, 64], [4, 4, 64], [1024], [64], [10]]);
  assert.deepEqual(p.layers.map((l) => l.total), [896, 0, 18496, 0, 36928, 0, 65600, 650]);
  assert.equal(p.total, 122570);
  assert.deepEqual(validateConfig(JSON.parse(JSON.stringify(config)), 'cifar10.json'), config);
});

test('"cifar10", "CIFAR-10" and "cifar_10" all name the built-in dataset', () => {
  for (const name of ['cifar10', 'CIFAR-10', 'cifar_10', 'Cifar10']) assert.equal(validateConfig({ ...shipped(), dataset: name }).dataset, 'cifar10', name);
  assert.throws(() => validateConfig({ ...shipped(), dataset: 'cifar100' }), /dataset: must be one of "mnist", "fashion-mnist", "cifar10"; got "cifar100"/);
  assert.throws(() => getDataset('cifar100'), /unknown dataset "cifar100"; known datasets: mnist, fashion-mnist, cifar10/);
});

test('input_shape and the dataset\'s images: each mismatch names the dataset and input_shape', () => {
  const bad = (input_shape: number[], dataset: string) => () => validateConfig({ ...shipped(), input_shape, dataset }, 'c.json');
  assert.throws(bad([32, 32, 1], 'cifar10'), (e: Error & { exitCode?: number }) => {
    assert.equal(e.exitCode, 2);
    assert.equal(e.message, 'c.json: input_shape: cifar10 images are 32x32x3 (3072 values) but input_shape [32,32,1] holds 1024 (cifar10 images have 3 channels: use [32, 32, 3])');
    return true;
  });
  assert.throws(bad([28, 28, 3], 'mnist'), /input_shape: mnist images are 28x28x1 \(784 values\) but input_shape \[28,28,3\] holds 2352 \(mnist images have 1 channel: use \[28, 28, 1\]\)$/);
  assert.throws(bad([28, 28, 1], 'cifar10'), /input_shape: cifar10 images are 32x32x3 \(3072 values\) but input_shape \[28,28,1\] holds 784$/);
});
