/**
 * `cnn train`, `cnn eval`, `cnn predict` end to end on real MNIST (the first few hundred images, so the
 * suite stays quick): the JSON events, the saved weights file, determinism, Ctrl-C and --resume, a
 * diverging loss, and bad input.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cnnBin, runCli } from './helpers/cli.js';
import { firstAsProcess, runCliHere } from './helpers/cli-here.js';
import { readWeightsFile } from '../src/model/weights-file.js';
import { warmDatasetHome } from './helpers/warm-datasets.js';

const home = warmDatasetHome(mkdtempSync(join(tmpdir(), 'cnn-train-test-')));
const env = { CNN_HOME: home, CNN_THREADS: '1' };
test.after(() => rmSync(home, { recursive: true, force: true }));

function train(args: string[]) {
  return runCli(['train', ...args], { env, cwd: home });
}

function events(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function tensors(path: string): Promise<Map<string, Float32Array>> {
  const w = await readWeightsFile(path);
  return new Map(w.tensors.map((t) => [t.name, t.data]));
}

function assertSameTensors(a: Map<string, Float32Array>, b: Map<string, Float32Array>, what: string) {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [name, data] of a) assert.ok(Buffer.from(data.buffer).equals(Buffer.from(b.get(name)!.buffer)), `${what}: ${name} differs`);
}

test('train --json prints one event per epoch and a saved event; the file evaluates and predicts', async () => {
  const out = join(home, 'a.bin');
  const r = train(['--config', 'mnist.json', '--limit', '640', '--epochs', '2', '--json', '--out', out, '--validation-split', '0.25']);
  assert.equal(r.status, 0, r.stderr);
  const ev = events(r.stdout);
  assert.equal(ev.length, 3);
  for (const [i, e] of ev.slice(0, 2).entries()) {
    assert.equal(e.event, 'epoch');
    assert.equal(e.epoch, i + 1);
    for (const k of ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'seconds', 'images_per_s']) assert.equal(typeof e[k], 'number', k);
  }
  assert.ok((ev[1].loss as number) < (ev[0].loss as number), 'the loss goes down');
  assert.deepEqual(ev[2], { event: 'saved', path: out });
  const history = JSON.parse(readFileSync(join(home, 'a.history.json'), 'utf8')) as { history: unknown[] };
  assert.equal(history.history.length, 2);

  const w = await readWeightsFile(out);
  assert.equal(w.optimizer?.type, 'rmsprop');
  assert.equal(w.optimizer?.iterations, 2 * Math.ceil(480 / 32));
  assert.deepEqual(w.tensors.map((t) => t.name), ['conv2d/kernel', 'conv2d/bias', 'conv2d_1/kernel', 'conv2d_1/bias', 'dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias']);

  // Training runs as a process; what reads its file back runs cnn's main() here (helpers/cli-here.ts).
  const summary = await runCliHere(['summary', '--weights', out], { env });
  assert.equal(summary.status, 0, summary.stderr);
  assert.match(summary.stdout, / Optimizer params: 203,070 \(793\.25 KB\)/);

  const e = await runCliHere(['eval', '--weights', out, '--json'], { env });
  assert.equal(e.status, 0, e.stderr);
  const ev2 = JSON.parse(e.stdout) as { loss: number; accuracy: number; per_class_accuracy: number[]; confusion: number[][]; images: number };
  assert.equal(ev2.images, 10000);
  assert.equal(ev2.confusion.flat().reduce((a, b) => a + b, 0), 10000);
  const diagonal = ev2.confusion.reduce((s, row, i) => s + row[i], 0);
  assert.equal(ev2.accuracy, diagonal / 10000);
  assert.ok(ev2.accuracy > 0.5, `even 480 images teach something: ${ev2.accuracy}`);
  assert.equal(ev2.per_class_accuracy.length, 10);

  const p = await runCliHere(['predict', '--weights', out, '--index', '0', '1'], { env });
  assert.equal(p.status, 0, p.stderr);
  const lines = p.stdout.trim().split('\n');
  assert.match(lines[0], /^index\s+0\s+1\s+2.*9\s+pred\s+true$/);
  assert.match(lines[1], /^\s*0(\s+\d\.\d\d){10}\s+\d\s+7$/, 'test image 0 is a 7');
  assert.match(lines[2], /^\s*1(\s+\d\.\d\d){10}\s+\d\s+2$/, 'test image 1 is a 2');
});

test('the progress line is Keras\'s when piped: one line per epoch', () => {
  const r = train(['--config', 'mnist.json', '--limit', '320', '--epochs', '2', '--out', join(home, 'p.bin')]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], 'Epoch 1/2');
  assert.match(lines[1], /^10\/10 \u2501{20} \d+s \d+(ms|us|s)\/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}$/);
  assert.equal(lines[2], 'Epoch 2/2');
  assert.match(lines[4], /^Saved weights to .*p\.bin$/);
});

test('same seed and threads give bit-identical weights; another seed does not', async () => {
  const a = join(home, 'd1.bin'), b = join(home, 'd2.bin'), c = join(home, 'd3.bin');
  for (const [out, seed] of [[a, '7'], [b, '7'], [c, '8']]) {
    const r = train(['--config', 'fashion-mnist.json', '--limit', '256', '--epochs', '1', '--seed', seed, '--json', '--out', out, '--threads', '2']);
    assert.equal(r.status, 0, r.stderr);
  }
  assertSameTensors(await tensors(a), await tensors(b), 'same seed');
  const ta = await tensors(a), tc = await tensors(c);
  assert.ok(!Buffer.from(ta.get('conv2d/kernel')!.buffer).equals(Buffer.from(tc.get('conv2d/kernel')!.buffer)));
});

test('Ctrl-C saves a checkpoint and exits 130; --resume reaches the uninterrupted weights', async () => {
  const full = join(home, 'full.bin'), part = join(home, 'part.bin');
  const args = ['--config', 'mnist.json', '--limit', '3200', '--epochs', '2', '--json', '--seed', '3', '--threads', '1'];
  const r = train([...args, '--out', full]);
  assert.equal(r.status, 0, r.stderr);

  const child = spawn(process.execPath, [cnnBin, 'train', ...args, '--out', part], { env: { ...process.env, ...env }, cwd: home });
  let stdout = '';
  let sent = false;
  child.stdout.on('data', (d) => {
    stdout += d;
    if (!sent && stdout.includes('"event":"epoch"')) {
      sent = true;
      setTimeout(() => child.kill('SIGINT'), 30); // during epoch 2 (an epoch of 3,200 images takes about 0.3 s)
    }
  });
  const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  assert.equal(code, 130, stdout);
  const interrupted = events(stdout).find((e) => e.event === 'interrupted');
  assert.ok(interrupted, stdout);
  assert.equal(interrupted.path, part);
  const checkpoint = await readWeightsFile(part);
  assert.equal((checkpoint.training as { epoch: number }).epoch, 1);

  const resumed = runCli(['train', '--resume', part, '--json'], { env, cwd: home });
  assert.equal(resumed.status, 0, resumed.stderr);
  assertSameTensors(await tensors(full), await tensors(part), 'resumed');
});

test('a diverging loss stops training with a clear message and keeps the last good weights', async () => {
  const cfg = join(home, 'diverge.json');
  const base = JSON.parse(readFileSync(new URL('../../data/mnist.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  writeFileSync(cfg, JSON.stringify({ ...base, optimizer: { type: 'sgd', learning_rate: 1e6 }, preprocessing: { rescale: 1 } }));
  const out = join(home, 'diverge.bin');
  const r = train(['--config', cfg, '--limit', '640', '--epochs', '1', '--out', out]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /NaN or infinite/);
  assert.match(r.stderr, new RegExp(`last good weights are in ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const w = await readWeightsFile(out);
  assert.ok(w.tensors.every((t) => t.data.every(Number.isFinite)), 'saved weights are finite');
});

test('bad usage: exit code 2 with the option or JSON path named, no stack trace', async () => {
  const cfg = join(home, 'bad.json');
  writeFileSync(cfg, JSON.stringify({ input_shape: [28, 28, 1], layers: [{ type: 'Conv2D', filters: 3, kernel_size: 50 }, { type: 'Flatten' }, { type: 'Dense', units: 10, activation: 'softmax' }], dataset: 'mnist' }));
  const run = firstAsProcess();
  for (const [args, pattern] of [
    [['--config', cfg], /layers\[0\]\.kernel_size/],
    [['--config', 'no-such-config.json'], /no-such-config\.json/],
    [['--config', 'mnist.json', '--epochs', 'many'], /--epochs/],
    [['--config', 'mnist.json', '--limit', '0'], /--limit/],
  ] as const) {
    const r = await run(['train', ...args], { env, cwd: home });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  const missing = await runCliHere(['eval', '--weights', join(home, 'nope.bin')], { env });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nope\.bin: no such file/);
  assert.ok(!existsSync(join(home, 'nope.bin')));
});
