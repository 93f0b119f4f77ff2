/**
 * The memory estimate made before the native core allocates anything: its figures follow the core's
 * buffers, a model past the machine's memory is refused (exit 2) naming the layer that dominates, the
 * estimate and the machine's memory, and `cnn summary` shows it after Keras's table.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCnnError } from '../src/errors.js';
import { checkMemory, estimateMemory, formatBytes } from '../src/model/validate-memory.js';
import { validateConfig } from '../src/model/validate.js';
import { runCli } from './helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'cnn-memory-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

test('the estimate counts the core buffers of a tiny model exactly', () => {
  const config = validateConfig({
    input_shape: [4, 4, 1],
    layers: [{ type: 'Conv2D', filters: 2, kernel_size: 3, activation: 'relu' }, { type: 'Flatten' }, { type: 'Dense', units: 3, activation: 'softmax' }],
  });
  // rmsprop: 1 slot; buffers sized for max(batch 32, inference slice 64) = 64 examples.
  const conv = 20 * 3 + 64 * 8 + 2 * 64 * 4 * 9 + (64 * 4 * 2 + 9 * 2) + 64 * 8; // params+grads+rms, output, cols+dcols, transposed GEMM, relu z
  const flatten = 64 * 8;
  const dense = 27 * 3 + 64 * 3 + 64 * 3; // params+grads+rms, output, softmax z
  const shared = 2 * 64 * 16 + 32 * 16; // two gradient buffers of the widest (the input), the worker's batch
  const e = estimateMemory(config);
  assert.deepEqual(e.layers.map((l) => l.bytes), [conv * 4, flatten * 4, dense * 4]);
  assert.equal(e.bytes, (conv + flatten + dense + shared) * 4);
  assert.equal(e.largest.name, 'conv2d');
});

test('a model past the memory given is refused with exit code 2, naming the layer, the estimate and the memory', () => {
  const config = validateConfig({ input_shape: [28, 28, 1], layers: [{ type: 'Flatten' }, { type: 'Dense', units: 1000000, activation: 'softmax' }] });
  let thrown: unknown;
  try {
    checkMemory(config, 'big.json', 8 * 2 ** 30);
  } catch (e) {
    thrown = e;
  }
  assert.ok(isCnnError(thrown));
  assert.equal(thrown.code, 'ERR_MODEL_TOO_LARGE');
  assert.equal(thrown.exitCode, 2);
  // 784 x 1e6 kernel + 1e6 bias, each with a gradient and rmsprop's slot, and 64 examples of 1e6 outputs twice.
  assert.match(thrown.message, /^big\.json: the model needs about 9\.\d\d GiB of memory to train at batch_size 32, more than this machine's 8\.00 GiB; layers\[1\] dense \(Dense\) takes 9\.\d\d GiB: 8\.77 GiB of parameters, gradients and optimizer state and /);
  assert.equal(checkMemory(config, 'big.json', 64 * 2 ** 30).largest.name, 'dense');
  assert.equal(formatBytes(1536), '1.50 KiB');
});

test('cnn train refuses impossible work before allocating; cnn summary prints the estimate', () => {
  const path = join(work, 'huge.json');
  writeFileSync(path, JSON.stringify({
    input_shape: [28, 28, 1],
    dataset: 'mnist',
    batch_size: 65536,
    layers: [{ type: 'Conv2D', filters: 1000000, kernel_size: 3 }, { type: 'Flatten' }, { type: 'Dense', units: 10, activation: 'softmax' }],
  }));
  const t = runCli(['train', '--config', path, '--limit', '64', '--out', join(work, 'w.bin')], { env: { HOME: work } });
  assert.equal(t.status, 2, t.stderr);
  assert.match(t.stderr, /^cnn: error: model config: the model needs about [\d.]+ [TP]iB of memory to train at batch_size 65536, more than this machine's [\d.]+ GiB; layers\[0\] conv2d \(Conv2D\) takes /);
  const s = runCli(['summary', '--config', path], { env: { COLUMNS: '' } });
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /Non-trainable params: 0 \(0\.00 B\)\n Estimated training memory: [\d.]+ [TP]iB at batch_size 65536 \(largest: conv2d \(Conv2D\), [\d.]+ [TP]iB\); more than this machine's [\d.]+ GiB: cnn train refuses it\n$/);
  const j = runCli(['summary', '--config', path, '--json']);
  const facts = JSON.parse(j.stdout) as { estimated_memory: { bytes: number; batch_size: number; largest_layer: string } };
  assert.equal(facts.estimated_memory.batch_size, 65536);
  assert.equal(facts.estimated_memory.largest_layer, 'conv2d');
  assert.ok(facts.estimated_memory.bytes > 2 ** 40);
});
