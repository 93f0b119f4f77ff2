/**
 * CIFAR-10 end to end through the real CLI, on a small archive in the real format: cnn data fetch
 * (from --data-dir, no network), verify, list, show (characters and a colour PNG), training the
 * shipped data/cifar10.json on it, predict with class names, and the messages when a model's
 * input_shape and the dataset's images disagree. The CLI checks the fixture's own pinned hash
 * (test/helpers/dataset-preload.ts registers it, as the in-process tests do).
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePng } from '../src/viz/canvas.js';
import { packageRoot } from '../src/version.js';
import { buildCifarArchive, cifarFixtureDefinition, cifarLabel, cifarPixel, CIFAR_CLASS_NAMES, runCliWithDataset } from './helpers/cifar-fixture.js';
import { warmDatasetHome } from './helpers/warm-datasets.js';

const scratch = mkdtempSync(join(tmpdir(), 'cnn-cifar-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const archive = buildCifarArchive({ records: 4 });
const def = cifarFixtureDefinition(archive, ['http://127.0.0.1:9/']);
const home = warmDatasetHome(join(scratch, 'home'), ['mnist']);
const env = { CNN_HOME: home, CNN_THREADS: '1', COLUMNS: '100' };
const cnn = (args: string[]) => runCliWithDataset(args, def, env, scratch);
const dataDir = join(scratch, 'download');
const cacheDir = join(home, 'datasets', 'cifar10');
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('cnn data fetch cifar10 --data-dir takes the archive from there, verified, into the cache; verify and list agree', () => {
  const missing = cnn(['data', 'fetch', 'cifar10', '--data-dir', dataDir]);
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr.trim().split('\n').pop(), `cnn: error: --data-dir ${dataDir} does not exist; it should be a folder holding cifar-10-binary.tar.gz (the cifar10 archive, from https://www.cs.toronto.edu/~kriz/cifar.html)`);
  mkdirSync(dataDir);
  writeFileSync(join(dataDir, 'cifar-10-binary.tar.gz'), archive.bytes);
  const r = cnn(['data', 'fetch', 'cifar10', '--data-dir', dataDir]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `cifar10: verified in ${cacheDir} (from ${join(dataDir, 'cifar-10-binary.tar.gz')})\n`);
  const verify = cnn(['data', 'verify', 'cifar-10']);
  assert.equal(verify.status, 0, verify.stderr);
  const lines = verify.stdout.trim().split('\n');
  assert.equal(lines.length, 8, verify.stdout);
  assert.ok(lines.every((l) => l.startsWith('ok  ')), verify.stdout);
  assert.equal(lines[0], `ok    ${join(cacheDir, 'manifest.json')}`);
  const list = cnn(['data', 'list']);
  assert.match(list.stdout, new RegExp(`^cifar10 +10 classes  ${escape(cacheDir)} \\(verified\\)$`, 'm'));
});

test('cnn data show cifar10 prints the image in grey characters and --png writes it in colour', () => {
  const png = join(scratch, 'show.png');
  const r = cnn(['data', 'show', 'cifar10', '--split', 'test', '--index', '2', '--png', png]);
  assert.equal(r.status, 0, r.stderr);
  const [title, ...rest] = r.stdout.trimEnd().split('\n');
  const label = cifarLabel(5, 2);
  assert.equal(title, `cifar10 test[2]: label ${label} (${CIFAR_CLASS_NAMES[label]})`);
  assert.equal(rest.pop(), `wrote ${png} (256x256, RGB)`);
  assert.equal(rest.length, 32, 'one line per pixel row');
  assert.ok(rest.every((l) => l.length <= 64 && /^[ .:\-=+*#%@]*$/.test(l)));
  const image = decodePng(readFileSync(png));
  assert.deepEqual([image.width, image.height], [256, 256]);
  for (const [y, x] of [[0, 0], [5, 17], [31, 31]]) {
    const p = y * 32 + x;
    const i = ((y * 8 + 3) * 256 + x * 8 + 3) * 4;
    assert.deepEqual([image.data[i], image.data[i + 1], image.data[i + 2]], [0, 1, 2].map((ch) => cifarPixel(5, 2, p, ch)), `pixel (${y}, ${x})`);
  }
  const bad = cnn(['data', 'show', 'cifar10', '--index', '20']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--index must be between 0 and 19 for the train split, got 20/);
});

test('the shipped cifar10.json trains on the colour images; predict names the classes', () => {
  const weights = join(scratch, 'cifar.bin');
  const r = cnn(['train', '--config', 'cifar10.json', '--epochs', '1', '--json', '--out', weights]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(lines.some((l) => typeof l.loss === 'number' && Number.isFinite(l.loss)), r.stdout);
  const p = cnn(['predict', '--weights', weights, '--index', '0', '3']);
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /^classes: 0=airplane, 1=automobile, 2=bird, 3=cat, 4=deer, 5=dog, 6=frog, 7=horse, 8=ship, 9=truck$/m);
  assert.match(p.stdout, new RegExp(`^ +3 (?: +[01]\\.\\d\\d){10} +\\d +${cifarLabel(5, 3)}$`, 'm'));
});

test('a model for grey 28x28 images and the colour cifar10 images: the message names the dataset and input_shape', () => {
  const config = JSON.parse(readFileSync(join(packageRoot, 'data', 'cifar10.json'), 'utf8')) as Record<string, unknown>;
  const path = join(scratch, 'grey.json');
  writeFileSync(path, JSON.stringify({ ...config, input_shape: [32, 32, 1] }));
  const r = cnn(['train', '--config', path, '--epochs', '1']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /input_shape: cifar10 images are 32x32x3 \(3072 values\) but input_shape \[32,32,1\] holds 1024 \(cifar10 images have 3 channels: use \[32, 32, 3\]\)/);
  const mnist = join(scratch, 'mnist.bin');
  const t = cnn(['train', '--config', 'mnist.json', '--limit', '32', '--epochs', '1', '--out', mnist]);
  assert.equal(t.status, 0, t.stderr);
  const p = cnn(['predict', '--weights', mnist, '--dataset', 'cifar10']);
  assert.equal(p.status, 2);
  assert.match(
    p.stderr,
    /cnn: error: .*data_batch_1\.bin \.\.\. data_batch_5\.bin \(the cifar10 train images\) has dimensions 20x32x32x3, images of 32x32x3, but input_shape in the model config is \[28, 28, 1\] \(28x28x1 images\)/,
  );
});
