/**
 * data/bench-cifar.json, the CIFAR-sized benchmark model: `cnn summary` shows it as Keras would, and
 * `cnn bench train` runs it on synthetic 32x32x3 data when CIFAR-10 is not in the cache (a fresh
 * CNN_HOME here), saying so. `--synthetic` forces the same for any config.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { warmDatasetHome } from './helpers/warm-datasets.js';

const home = warmDatasetHome(mkdtempSync(join(tmpdir(), 'cnn-bench-cifar-')), ['mnist']);
const env = { CNN_HOME: home };
test.after(() => rmSync(home, { recursive: true, force: true }));

test('cnn summary --config bench-cifar.json: same padding, stride 2, BatchNormalization, 66,602 params', () => {
  const r = runCli(['summary', '--config', 'bench-cifar.json'], { env, cwd: home });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Model: "bench_cifar"/);
  // 3x3x3x32+32, 4x32, 3x3x32x32+32, 3x3x32x64+64, 4x64, 3x3x64x64+64, 64x10+10 (Keras prints the same).
  for (const [layer, shape, params] of [
    ['conv2d \\(Conv2D\\)', '\\(None, 32, 32, 32\\)', '896'],
    ['conv2d_1 \\(Conv2D\\)', '\\(None, 16, 16, 32\\)', '9,248'],
    ['conv2d_2 \\(Conv2D\\)', '\\(None, 16, 16, 64\\)', '18,496'],
    ['conv2d_3 \\(Conv2D\\)', '\\(None, 8, 8, 64\\)', '36,928'],
    ['dense \\(Dense\\)', '\\(None, 10\\)', '650'],
  ]) {
    assert.match(r.stdout, new RegExp(`${layer}\\s+│ ${shape}\\s+│\\s+${params} │`));
  }
  assert.match(r.stdout, /Total params: 66,602/);
  assert.match(r.stdout, /Non-trainable params: 192 /);
});

test('bench train on bench-cifar.json without CIFAR-10 trains on synthetic 32x32x3 data and says why', () => {
  const r = runCli(['bench', 'train', '--config', 'bench-cifar.json', '--batches', '3', '--warmup', '1', '--threads', '1', '--eval-images', '256', '--peak-seconds', '0.05', '--json'], { env, cwd: home });
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
  assert.equal(o.data, 'synthetic');
  assert.match(String(o.data_note), /^random 32x32x3 images and labels: cifar10 is not in the dataset cache \(.*cnn-bench-cifar-.*\) and has no copy on this machine \(`cnn data fetch cifar10` downloads it\)$/);
  assert.equal(o.flops_per_image, 60_165_888);
  assert.ok((o.train_images_per_s as number) > 0 && (o.train_gflops as number) > 0 && (o.percent_of_peak as number) > 0, r.stdout);
  // 1,000 synthetic test images with random labels: chance, whatever the model learnt.
  assert.ok((o.test_accuracy as number) >= 0 && (o.test_accuracy as number) < 0.3, String(o.test_accuracy));
});

test('bench train --synthetic uses random images for a config whose dataset is at hand, and says so', () => {
  const r = runCli(['bench', 'train', '--config', 'mnist.json', '--synthetic', '--batches', '2', '--warmup', '0', '--threads', '1', '--peak', '50', '--eval-images', '256'], { env, cwd: home });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ {2}data {2}synthetic, random 28x28x1 images and labels: asked for with --synthetic; accuracy is chance$/m);
  assert.match(r.stdout, /of the 50 GFLOP\/s \S+ peak at 1 thread\(s\) \(given with --peak\)/);
});
