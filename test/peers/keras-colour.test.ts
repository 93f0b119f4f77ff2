/**
 * Live, against real Keras 3 (skipped, saying so, when there is none): `cnn summary --config
 * cifar10.json` is the model.summary() of the TensorFlow CIFAR-10 tutorial's CNN built in Keras,
 * and the 3-channel model exported with `cnn export --format keras` loads in Keras with the same
 * predictions on RGB images and the same summary.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { kerasPython, readF32, runPython, writeF32 } from '../helpers/keras-python.js';
import { buildCifarArchive, cifarFixtureDefinition, cifarPixel, runCliWithDataset } from '../helpers/cifar-fixture.js';
import { cnnOutputs, maxAbsDiff, preprocess, spreadBetweenImages } from '../fixtures/viz/models.js';
import { loadTrainedModel } from '../../src/train/model.js';

const home = mkdtempSync(join(tmpdir(), 'cnn-keras-colour-'));
const env = { CNN_HOME: home, CNN_THREADS: '2' };
test.after(() => rmSync(home, { recursive: true, force: true }));
const WIDTHS = [80, 100, 60];
const COUNT = 20;

function cnnSummary(args: string[], columns: number): string {
  const r = runCli(['summary', ...args], { env: { ...env, COLUMNS: String(columns) } });
  assert.equal(r.status, 0, r.stderr);
  // cnn summary adds its own memory-estimate line after Keras's table; Keras prints the table only.
  return r.stdout.replace(/^ Estimated training memory:.*\n/m, '');
}

const norm = (s: string) => s.split('\n').map((l) => l.trimEnd()).join('\n').trim();

test('cnn summary --config cifar10.json is real Keras\'s summary of the TF CIFAR-10 tutorial CNN (122,570 params)', { skip: kerasPython().reason }, () => {
  const keras = runPython('keras_cifar_summary.py', [], { SUMMARY_COLUMNS: WIDTHS.join(',') }) as { summaries: Record<string, string>; params: number };
  assert.equal(keras.params, 122570);
  for (const columns of WIDTHS) assert.equal(norm(cnnSummary(['--config', 'cifar10.json'], columns)), norm(keras.summaries[columns]), `at ${columns} columns`);
});

test('the colour cifar10.json model, trained briefly on a small CIFAR-10 archive, exported to .keras predicts in Keras what cnn predicts', { skip: kerasPython().reason }, async () => {
  // Trained (so the file holds Adam's state, which Keras's summary counts) on the fixture archive.
  const archive = buildCifarArchive({ records: 8 });
  const dataDir = join(home, 'download');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'cifar-10-binary.tar.gz'), archive.bytes);
  const weights = join(home, 'cifar.bin');
  const t = runCliWithDataset(['train', '--config', 'cifar10.json', '--epochs', '1', '--data-dir', dataDir, '--out', weights, '--json'], cifarFixtureDefinition(archive, ['http://127.0.0.1:9/']), env);
  assert.equal(t.status, 0, t.stderr);
  const { config, net } = await loadTrainedModel(weights);
  const out = join(home, 'cifar.keras');
  const e = runCli(['export', '--weights', weights, '--format', 'keras', '--out', out, '--force'], { env });
  assert.equal(e.status, 0, e.stderr);
  const pixels = new Uint8Array(COUNT * 3072);
  for (let i = 0; i < COUNT; i++) for (let p = 0; p < 1024; p++) for (let ch = 0; ch < 3; ch++) pixels[i * 3072 + p * 3 + ch] = cifarPixel(i % 6, i, p, ch);
  const x = preprocess(pixels, config);
  const want = cnnOutputs(net, x, COUNT);
  writeF32(join(home, 'x.f32'), x);
  const result = runPython('keras_check.py', ['load', out, join(home, 'x.f32'), String(COUNT), join(home, 'pred.f32')], { SUMMARY_COLUMNS: WIDTHS.join(',') }) as {
    summaries: Record<string, string>;
    input_shape: number[];
  };
  assert.deepEqual(result.input_shape, [32, 32, 3]);
  const diff = maxAbsDiff(readF32(join(home, 'pred.f32')), want);
  assert.ok(diff < 1e-5, `Keras and cnn differ by ${diff}`);
  assert.ok(spreadBetweenImages(want, COUNT) > 1e-3, 'the outputs differ between images far more than the tolerance');
  for (const columns of WIDTHS) assert.equal(norm(cnnSummary(['--weights', weights], columns)), norm(result.summaries[columns]), `at ${columns} columns`);
});
