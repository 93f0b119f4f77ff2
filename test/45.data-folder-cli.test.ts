/**
 * Folder datasets on the command line: `cnn data export` writing Keras's layout, `cnn train` and
 * `cnn eval` of a folder config, `cnn data show` and `cnn data verify` of a folder.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/version.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/image-folder.js';
import { warmDatasetHome } from './helpers/warm-datasets.js';

const scratch = tempDir();
after(() => rmSync(scratch, { recursive: true, force: true }));
const env = { CNN_HOME: warmDatasetHome(join(scratch, 'home'), ['fashion-mnist']), HOME: scratch };
const exported = join(scratch, 'fashion');
const LIMIT = 64;

function fashionConfig(dataset: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const c = JSON.parse(readFileSync(join(packageRoot, 'data', 'fashion-mnist.json'), 'utf8'));
  return { ...c, dataset, epochs: 1, ...extra };
}

test('cnn data export writes DIR/train/<class>/<index>.png and DIR/test/..., class names made safe', () => {
  const r = runCli(['data', 'export', 'fashion-mnist', '--format', 'png', '--out', exported, '--limit', String(LIMIT)], { env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`fashion-mnist: wrote ${2 * LIMIT} PNG files to `));
  assert.deepEqual(readdirSync(exported).sort(), ['test', 'train']);
  assert.deepEqual(readdirSync(join(exported, 'train')).sort(), ['Ankle boot', 'Bag', 'Coat', 'Dress', 'Pullover', 'Sandal', 'Shirt', 'Sneaker', 'T-shirt_top', 'Trouser']);
  const again = runCli(['data', 'export', 'fashion-mnist', '--out', exported, '--limit', '1'], { env });
  assert.equal(again.status, 2);
  assert.match(again.stderr, /already exists and is not an empty folder; remove it or give another --out/);
});

test('cnn train on a folder config prints what Keras prints; data show and data verify read the folder', () => {
  const dir = join(scratch, 'cfg');
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'folder.json');
  writeFileSync(configPath, JSON.stringify(fashionConfig({ directory: '../fashion/', image_size: [28, 28], color_mode: 'grayscale' })));
  const r = runCli(['train', '--config', configPath, '--out', join(dir, 'w.bin'), '--limit', '32'], { env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`Found ${LIMIT} files belonging to 10 classes\\.`));
  assert.match(r.stdout, /Saved weights to/);
  // The weights file keeps the folder (made absolute), so eval finds it from another working directory.
  const ev = runCli(['eval', '--weights', join(dir, 'w.bin'), '--json'], { env, cwd: scratch });
  assert.equal(ev.status, 0, ev.stderr);
  assert.equal(JSON.parse(ev.stdout).images, LIMIT);
  const few = runCli(['eval', '--weights', join(dir, 'w.bin'), '--json', '--limit', '5'], { env, cwd: scratch });
  assert.equal(few.status, 0, few.stderr);
  assert.equal(JSON.parse(few.stdout).images, 5, 'eval --limit takes the first images of a folder too');
  const show = runCli(['data', 'show', '--config', configPath, '--index', '3', '--split', 'test'], { env });
  assert.equal(show.status, 0, show.stderr);
  assert.match(show.stdout, /fashion test\[3\]: label \d \((Ankle boot|Bag|Coat|Dress|Pullover|Sandal|Shirt|Sneaker|T-shirt_top|Trouser)\)/);
  assert.equal(show.stdout.split('\n').length, 1 + 28 + 1);
  const ok = runCli(['data', 'verify', '--directory', exported], { env });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /ok    every image decodes/);
  writeFileSync(join(exported, 'train', 'Bag', 'zz-broken.png'), 'not a png');
  const bad = runCli(['data', 'verify', '--directory', exported, '--color-mode', 'grayscale'], { env });
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /FAIL  .*train\/Bag\/zz-broken\.png: is not a PNG, JPEG, GIF or BMP image/);
  assert.match(bad.stderr, /cnn: error: 1 image in .* cannot be used; the first: .*zz-broken\.png is not a PNG/);
  const none = runCli(['data', 'show', '--index', '0'], { env });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /cnn data show needs a dataset name \(see cnn data list\), --directory or --config/);
});
