/**
 * The addon's entry points called directly with numbers a 32-bit read would wrap (2^31, 2^32+1), and
 * with -1, NaN, 1.5 and Infinity: each is refused with a CnnError carrying a code, never wrapped into a
 * different value, never a crash and never "internal error". Also the configs of the report, end to end.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCnnError } from '../src/errors.js';
import { toNativeSpec, type NativeNetworkSpec } from '../src/model/spec.js';
import { validateConfig } from '../src/model/validate.js';
import { loadNative } from '../src/native.js';
import { runCli } from './helpers/cli.js';

const BAD = [2 ** 31, 2 ** 32 + 1, -1, Number.NaN, 1.5, Infinity, -Infinity];
// Seeds and iteration counts take any safe integer >= 0: 2^31 and 2^32+1 are fine there, 2^53 is not.
const BAD_SAFE = [2 ** 53, -1, Number.NaN, 1.5, Infinity, -Infinity];

function expectCnnError(fn: () => unknown, what: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== undefined, `${what}: expected a CnnError, it returned`);
  assert.ok(isCnnError(thrown), `${what}: expected a CnnError, got ${String(thrown)}`);
  assert.match(thrown.code, /^ERR_[A-Z_]+$/, what);
  assert.doesNotMatch(thrown.message, /internal error/i, what);
}

async function expectRejected(p: () => Promise<unknown>, what: string): Promise<void> {
  let thrown: unknown;
  try {
    await p();
  } catch (e) {
    thrown = e;
  }
  assert.ok(isCnnError(thrown), `${what}: expected a CnnError, got ${String(thrown)}`);
  assert.match(thrown.code, /^ERR_[A-Z_]+$/, what);
}

function tinySpec(): NativeNetworkSpec {
  return toNativeSpec(
    validateConfig({
      input_shape: [6, 6, 1],
      layers: [
        { type: 'Conv2D', filters: 2, kernel_size: 3, activation: 'relu' },
        { type: 'MaxPooling2D' },
        { type: 'Flatten' },
        { type: 'Dropout', rate: 0.1, seed: 3 },
        { type: 'Dense', units: 3, activation: 'softmax' },
      ],
      optimizer: 'adam',
    }),
  );
}

test('conv2d refuses out-of-range strides, dilation and shapes with a CnnError', () => {
  const native = loadNative();
  const input = new Float32Array(4);
  const kernel = new Float32Array(1);
  for (const v of BAD) {
    expectCnnError(() => native.conv2d(input, [2, 2, 1], kernel, [1, 1, 1, 1], [v, 1] as [number, number], [1, 1], false), `strides ${v}`);
    expectCnnError(() => native.conv2d(input, [2, 2, 1], kernel, [1, 1, 1, 1], [1, 1], [1, v] as [number, number], true), `dilation ${v}`);
    expectCnnError(() => native.conv2d(input, [2, v, 1], kernel, [1, 1, 1, 1], [1, 1], [1, 1], false), `inShape ${v}`);
    expectCnnError(() => native.conv2d(input, [2, 2, 1], kernel, [1, 1, 1, v], [1, 1], [1, 1], false), `kShape ${v}`);
  }
  // In range but past the geometry the core computes in int32: refused, not a wrong map.
  expectCnnError(() => native.conv2d(new Float32Array(4), [2, 2, 1], new Float32Array(9), [3, 3, 1, 1], [1, 1], [2 ** 31 - 1, 2 ** 31 - 1], true), 'dilation 2^31-1');
  // 2^32+1 used to be read as 1: the result was a stride-1 convolution.
  expectCnnError(() => native.conv2d(input, [2, 2, 1], kernel, [1, 1, 1, 1], [2 ** 32 + 1, 2 ** 32 + 1], [1, 1], false), 'strides 2^32+1');
  // stride 2^31-1 with "same" is one window: it used to return [] (in + s - 1 wrapped).
  const r = native.conv2d(Float32Array.from([1, 2, 3, 4]), [2, 2, 1], Float32Array.from([1]), [1, 1, 1, 1], [2 ** 31 - 1, 2 ** 31 - 1], [1, 1], true);
  assert.deepEqual(r.shape, [1, 1, 1]);
  assert.deepEqual([...r.data], [1]);
});

test('pool and setThreads refuse out-of-range numbers with a CnnError', () => {
  const native = loadNative();
  const input = new Float32Array(16);
  for (const v of BAD) {
    expectCnnError(() => native.pool(input, [4, 4, 1], [v, 2] as [number, number], [2, 2], false, 'max'), `poolSize ${v}`);
    expectCnnError(() => native.pool(input, [4, 4, 1], [2, 2], [2, v] as [number, number], true, 'avg'), `strides ${v}`);
    expectCnnError(() => native.pool(input, [4, v, 1], [2, 2], [2, 2], false, 'max'), `inShape ${v}`);
    expectCnnError(() => native.setThreads(v), `threads ${v}`);
  }
  expectCnnError(() => native.pool(input, [4, 4, 1], [2 ** 31 - 1, 2 ** 31 - 1], [1, 1], true, 'max'), 'pool 2^31-1 stride 1 same');
  // Windows covering a 2048x2048 input at every one of its positions: 2^44 reads on the main thread.
  const large = new Float32Array(2048 * 2048);
  expectCnnError(() => native.pool(large, [2048, 2048, 1], [4096, 4096], [1, 1], true, 'avg'), 'pool work 2^44');
});

test('new Network refuses wrapped units, filters, shapes and seeds with a CnnError', () => {
  const native = loadNative();
  const base = tinySpec();
  new native.Network(base); // the unmodified spec is fine
  for (const v of BAD) {
    const mutations: [string, (s: NativeNetworkSpec) => void][] = [
      ['units', (s) => (s.layers[4].units = v)],
      ['filters', (s) => (s.layers[0].filters = v)],
      ['kernel_size', (s) => (s.layers[0].kernel_size = [v, 3])],
      ['strides', (s) => (s.layers[1].strides = [2, v])],
      ['dilation_rate', (s) => (s.layers[0].dilation_rate = [v, 1])],
      ['pool_size', (s) => (s.layers[1].pool_size = [v, 2])],
      ['input_shape', (s) => (s.input_shape = [6, v, 1])],
      ['layer input_shape', (s) => (s.layers[2].input_shape = [2, 2, v])],
    ];
    for (const [what, mutate] of mutations) {
      const spec = structuredClone(base);
      mutate(spec);
      expectCnnError(() => new native.Network(spec), `${what} ${v}`);
    }
  }
  for (const v of BAD_SAFE) {
    const seeded = structuredClone(base);
    seeded.seed = v;
    expectCnnError(() => new native.Network(seeded), `seed ${v}`);
    const dropout = structuredClone(base);
    dropout.layers[3].dropout_seed = v;
    expectCnnError(() => new native.Network(dropout), `dropout_seed ${v}`);
  }
  const nan = structuredClone(base);
  nan.optimizer.learning_rate = Number.NaN;
  expectCnnError(() => new native.Network(nan), 'learning_rate NaN');
});

test('network methods refuse out-of-range indices, batch sizes and iterations with a CnnError', async () => {
  const native = loadNative();
  const net = new native.Network(tinySpec());
  const images = new Uint8Array(36 * 4);
  const labels = new Uint8Array(4);
  const order = Int32Array.from([0, 1, 2, 3]);
  const cancel = new Int32Array(1);
  for (const v of BAD) {
    expectCnnError(() => net.getParam(v), `getParam ${v}`);
    expectCnnError(() => net.getSlot(0, v), `getSlot ${v}`);
    expectCnnError(() => net.trainBatches(images, labels, order, { batchSize: v, scale: 1, offset: 0 }, null, cancel), `batchSize ${v}`);
    expectCnnError(() => net.trainBatches(images, labels, order, { batchSize: 2, scale: 1, offset: 0, lastBatch: v }, null, cancel), `lastBatch ${v}`);
    expectCnnError(() => net.evaluate(images, labels, { batchSize: v, scale: 1, offset: 0 }), `evaluate batchSize ${v}`);
  }
  for (const v of BAD_SAFE) expectCnnError(() => net.setIterations(v), `setIterations ${v}`);
  // 2^32 + 32 used to be read as a batch of 32.
  expectCnnError(() => net.trainBatches(images, labels, order, { batchSize: 2 ** 32 + 32, scale: 1, offset: 0 }, null, cancel), 'batchSize 2^32+32');
  expectCnnError(() => net.trainBatches(images, labels, order, { batchSize: 2, scale: Number.NaN, offset: 0 }, null, cancel), 'scale NaN');
  // The network still works after every refusal.
  const done = await net.trainBatches(images, labels, order, { batchSize: 2, scale: 1, offset: 0 }, null, cancel);
  assert.equal(done.seen, 4);
  await expectRejected(() => net.trainBatches(images, Uint8Array.from([0, 1, 2, 200]), order, { batchSize: 2, scale: 1, offset: 0 }, null, cancel), 'label 200');
});

test('the configs of the report: wrapped numbers and a geometry overflow are refused before training', () => {
  const work = mkdtempSync(join(tmpdir(), 'cnn-boundary-'));
  try {
    const write = (name: string, layers: unknown[], extra: Record<string, unknown> = {}): string => {
      const path = join(work, name);
      writeFileSync(path, JSON.stringify({ input_shape: [28, 28, 1], dataset: 'mnist', layers, ...extra }));
      return path;
    };
    const dense = { type: 'Dense', units: 10, activation: 'softmax' };
    const cases: [string, string, RegExp][] = [
      [write('dil.json', [{ type: 'Conv2D', filters: 4, kernel_size: 3, dilation_rate: 2147483647, padding: 'same' }, { type: 'Flatten' }, dense]), 'summary',
        /layers\[0\]\.dilation_rate \[conv2d \(Conv2D\)\]: along the height, kernel 3 with dilation 2147483647 spans \(3 - 1\) x 2147483647 \+ 1 = 4294967295 pixels, more than the limit of 2147483647/],
      [write('units.json', [{ type: 'Flatten' }, { type: 'Dense', units: 4294967306, activation: 'softmax' }]), 'summary', /layers\[1\]\.units \[dense \(Dense\)\]: must be an integer >= 1 and <= 2147483647, got 4294967306/],
      [write('filters.json', [{ type: 'Conv2D', filters: 4294967300, kernel_size: 3 }, { type: 'Flatten' }, dense]), 'summary', /layers\[0\]\.filters \[conv2d \(Conv2D\)\]: must be an integer >= 1 and <= 2147483647, got 4294967300/],
      [write('batch.json', [{ type: 'Flatten' }, dense], { batch_size: 4294967328 }), 'summary', /batch_size: must be an integer >= 1 and <= 65536, got 4294967328/],
    ];
    for (const [path, command, message] of cases) {
      const r = runCli([command, '--config', path]);
      assert.equal(r.status, 2, `${path}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /internal error|at .*\.js:\d+/);
    }
    // Training with the dilation config was a SIGSEGV (exit 139): now the same usage error.
    const t = runCli(['train', '--config', cases[0][0], '--limit', '64', '--epochs', '1', '--out', join(work, 'w.cnnw')], { env: { HOME: work } });
    assert.equal(t.status, 2, t.stderr);
    assert.match(t.stderr, /dilation_rate/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
