/**
 * `cnn train --logdir`: the event files' framing and checksums read back by an independent parser in
 * this file, written after every epoch (before the epoch is reported), and TensorBoard's own reader
 * (skipped, saying so, without a Python that has tensorboard) finding every scalar `cnn train --json`
 * printed, the histograms, the first convolution's filters as images, and the summary text.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c, maskedCrc32c } from '../../src/tensorboard/events.js';
import { histogramRows } from '../../src/tensorboard/logger.js';
import { cnnBin, runCli } from '../helpers/cli.js';
import { eventFile, readEvents } from '../helpers/tensorboard-events.js';
import { kerasPython, runPython } from '../helpers/keras-python.js';

const home = mkdtempSync(join(tmpdir(), 'cnn-tensorboard-'));
const env = { CNN_HOME: home, CNN_THREADS: '2' };
test.after(() => rmSync(home, { recursive: true, force: true }));

test('CRC-32C and its TFRecord mask match the published check values', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa); // RFC 3720's 32 zero bytes
  const crc = 0xe3069283;
  assert.equal(maskedCrc32c(Buffer.from('123456789')), ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0);
});

test('histogram buckets: 30 equal widths from min to max holding every value', () => {
  const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
  const rows = histogramRows(values);
  assert.equal(rows.length, 90);
  let total = 0;
  for (let b = 0; b < 30; b++) total += rows[b * 3 + 2];
  assert.equal(total, 1000);
  assert.equal(rows[0], Math.min(...values));
  assert.equal(rows[29 * 3 + 1], Math.max(...values));
  const flat = histogramRows(Float32Array.of(2, 2, 2));
  assert.deepEqual([flat[29 * 3], flat[29 * 3 + 1], flat[29 * 3 + 2]], [2, 2, 3]);
});

function trainArgs(logdir: string, out: string): string[] {
  return ['train', '--config', 'mnist.json', '--limit', '300', '--epochs', '2', '--validation-split', '0.2', '--out', out, '--logdir', logdir, '--json'];
}

test('every epoch is on disk, whole records with valid CRCs, before cnn train reports it', async () => {
  const logdir = join(home, 'live');
  const child = spawn(process.execPath, [cnnBin, ...trainArgs(logdir, join(home, 'live.bin'))], { cwd: home, env: { ...process.env, ...env } });
  let buffered = '';
  const seen: number[][] = [];
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffered.slice(0, nl)) as { event: string; epoch?: number };
        buffered = buffered.slice(nl + 1);
        if (line.event !== 'epoch') continue;
        // Read while the run goes on: the epoch just reported must be there already.
        const steps = readEvents(eventFile(join(logdir, 'train'))).filter((r) => r.tags.includes('epoch_loss')).map((r) => r.step);
        seen.push(steps);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`cnn train exited ${code}`))));
  });
  assert.deepEqual(seen, [[0], [0, 1]]);
  const train = readEvents(eventFile(join(logdir, 'train')));
  assert.equal(train[0].fileVersion, 'brain.Event:2');
  const tags = new Set(train.flatMap((r) => r.tags));
  for (const t of ['keras', 'model_summary', 'epoch_loss', 'epoch_accuracy', 'epoch_learning_rate', 'sequential/conv2d/kernel/histogram', 'sequential/conv2d/kernel/image', 'sequential/dense_1/bias/histogram']) {
    assert.ok(tags.has(t), `train has ${t}`);
  }
  const validation = readEvents(eventFile(join(logdir, 'validation')));
  assert.deepEqual([...new Set(validation.flatMap((r) => r.tags))].sort(), ['epoch_accuracy', 'epoch_loss', 'evaluation_accuracy_vs_iterations', 'evaluation_loss_vs_iterations']);
});

test('an unwritable --logdir is refused before training (exit 2)', () => {
  const file = join(home, 'a-file');
  writeFileSync(file, 'x');
  const r = runCli(['train', '--config', 'mnist.json', '--limit', '64', '--epochs', '1', '--out', join(home, 'x.bin'), '--logdir', join(file, 'logs')], { cwd: home, env });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^cnn: error: --logdir .*a-file\/logs: cannot write TensorBoard logs there: /);
});

interface TbRun {
  scalars: Record<string, [number, number][]>;
  histograms: Record<string, [number, [number, number, number][]][]>;
  images: Record<string, [number, number, number, number[]][]>;
  text: Record<string, [number, string][]>;
  other: [string, string][];
}

test("TensorBoard's reader finds the scalars cnn train printed, the histograms, the filter images and the summary", async (t) => {
  const { reason } = kerasPython();
  if (reason) return t.skip(reason);
  const logdir = join(home, 'tb');
  const r = runCli(trainArgs(logdir, join(home, 'tb.bin')), { cwd: home, env });
  assert.equal(r.status, 0, r.stderr);
  const epochs = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'epoch');
  const { runs } = runPython('read_tensorboard.py', [logdir]) as { runs: Record<string, TbRun> };
  assert.deepEqual(Object.keys(runs), ['train', 'validation']);
  const { train, validation } = runs;
  const near = (tag: string, got: [number, number][], want: number[]) => {
    assert.deepEqual(got.map(([s]) => s), want.map((_, i) => i), `${tag} steps`);
    got.forEach(([, v], i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `${tag}[${i}]: ${v} vs ${want[i]}`));
  };
  near('epoch_loss', train.scalars.epoch_loss, epochs.map((e) => e.loss));
  near('epoch_accuracy', train.scalars.epoch_accuracy, epochs.map((e) => e.accuracy));
  near('epoch_learning_rate', train.scalars.epoch_learning_rate, [0.001, 0.001]);
  near('val epoch_loss', validation.scalars.epoch_loss, epochs.map((e) => e.val_loss));
  near('val epoch_accuracy', validation.scalars.epoch_accuracy, epochs.map((e) => e.val_accuracy));
  // 240 training images in batches of 32: 8 steps an epoch.
  assert.deepEqual(validation.scalars.evaluation_loss_vs_iterations.map(([s]) => s), [8, 16]);
  const sizes: Record<string, number> = { 'conv2d/kernel': 75, 'conv2d/bias': 3, 'conv2d_1/kernel': 450, 'conv2d_1/bias': 6, 'dense/kernel': 201600, 'dense/bias': 84, 'dense_1/kernel': 840, 'dense_1/bias': 10 };
  assert.deepEqual(Object.keys(train.histograms).sort(), Object.keys(sizes).map((k) => `sequential/${k}/histogram`).sort());
  for (const [name, size] of Object.entries(sizes)) {
    const h = train.histograms[`sequential/${name}/histogram`];
    assert.deepEqual(h.map(([s]) => s), [0, 1]);
    for (const [, rows] of h) {
      assert.equal(rows.length, 30);
      assert.equal(rows.reduce((s, row) => s + row[2], 0), size, `${name}: every value counted`);
    }
  }
  // The first convolution's 3 filters, 5x5 each, every epoch.
  assert.deepEqual(train.images['sequential/conv2d/kernel/image'].map(([s, w, h, pngs]) => [s, w, h, pngs.length]), [
    [0, 5, 5, 3],
    [1, 5, 5, 3],
  ]);
  const summary = runCli(['summary', '--config', 'mnist.json'], { env: { ...env, COLUMNS: '98' } }).stdout;
  // The text is Keras's table; cnn summary's own memory-estimate line after it is not part of it.
  const kerasTable = summary.replace(/^ Estimated training memory:.*\n/m, '');
  assert.equal(train.text.model_summary[0][1], kerasTable.replace(/^/gm, '    '));
  assert.deepEqual(train.other, [['keras', 'graph_keras_model']]);
});

test('a failure to write the logs is reported once, as a message, and never stops the run', async () => {
  const { validateConfig } = await import('../../src/model/validate.js');
  const { buildNetwork } = await import('../../src/train/model.js');
  const { openLogdir, logEpoch } = await import('../../src/tensorboard/train-logdir.js');
  const config = validateConfig({ input_shape: [4, 4, 1], layers: [{ type: 'Flatten' }, { type: 'Dense', units: 10, activation: 'softmax' }] }, 'test config');
  const logger = openLogdir(join(home, 'failing'), config);
  logger.epoch = () => {
    throw Object.assign(new Error('write failed'), { code: 'ENOSPC' });
  };
  const record = { epoch: 1, loss: 1, accuracy: 0.5, seconds: 1, images_per_s: 1 };
  const net = buildNetwork(config);
  assert.match(logEpoch(logger, net, config, record) ?? '', /^--logdir .*failing: cannot write the TensorBoard logs of epoch 1 \(.+\); training goes on without them$/);
  assert.equal(logEpoch(logger, net, config, { ...record, epoch: 2 }), undefined, 'said once');
  logger.close();
});
