/**
 * CIFAR-10 through the real fetch code against a loopback mirror (127.0.0.1 only) serving a small
 * archive in the real binary format made by GNU tar; the archive pin is replaced for the test by
 * registering a definition with the fixture's SHA-256 and batch size, as the download tests do.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchDataset, getDataset, loadDataset, registerDataset, verifyDataset } from '../src/data/index.js';
import { forgetVerified } from '../src/data/checksums.js';
import { datasets } from '../src/api/datasets.js';
import { startLoopback, type Handler } from './fixtures/data/loopback-server.js';
import { buildCifarArchive, cifarFixtureDefinition, cifarLabel, cifarPixel, CIFAR_CLASS_NAMES } from './helpers/cifar-fixture.js';

const scratch = mkdtempSync(join(tmpdir(), 'cnn-cifar-test-'));
const real = getDataset('cifar10');
after(() => {
  registerDataset(real);
  rmSync(scratch, { recursive: true, force: true });
});

const archive = buildCifarArchive({ records: 3 });
const fast = { idleTimeoutMs: 2000, timeoutMs: 5000, extraMirrors: [] as string[] };
const serving = (bytes: Buffer): Handler => (req, res) => {
  if (req.url !== '/cifar-10-binary.tar.gz') return void res.writeHead(404).end();
  res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
};

test('the built-in cifar10 pins the authors\' binary archive and is known by Keras\'s and the usual spellings', () => {
  assert.equal(real.archive.name, 'cifar-10-binary.tar.gz');
  assert.equal(real.archive.size, 170052171);
  assert.equal(real.archive.sha256, 'c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd');
  assert.deepEqual(real.mirrors, ['https://www.cs.toronto.edu/~kriz/']);
  assert.deepEqual(real.classNames, CIFAR_CLASS_NAMES);
  assert.equal(real.recordsPerBatch, 10000);
  for (const name of ['cifar10', 'cifar-10', 'CIFAR-10', 'cifar_10']) assert.equal(getDataset(name).name, 'cifar10');
});

test('a download is verified, only the expected members are extracted, and the images are channels-last RGB', async () => {
  const server = await startLoopback(serving(archive.bytes));
  const cacheDir = mkdtempSync(join(scratch, 'cache-'));
  try {
    registerDataset(cifarFixtureDefinition(archive, [server.url]));
    const statuses: string[] = [];
    const ds = await loadDataset('cifar10', { ...fast, cacheDir, onStatus: (s) => statuses.push(s) });
    assert.ok(statuses.some((s) => s.includes(`downloaded and verified from ${server.url}cifar-10-binary.tar.gz`)), statuses.join('\n'));
    assert.deepEqual(readdirSync(join(cacheDir, 'cifar10')).sort(), [
      'batches.meta.txt', 'data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'manifest.json', 'test_batch.bin',
    ], 'the readme is not extracted and the archive is not kept');
    assert.deepEqual(ds.classNames, CIFAR_CLASS_NAMES);
    assert.deepEqual([ds.train.count, ds.train.height, ds.train.width, ds.train.channels], [15, 32, 32, 3]);
    assert.deepEqual([ds.test.count, ds.test.height, ds.test.width, ds.test.channels], [3, 32, 32, 3]);
    // Every value of every image: record r of batch b, pixel (y, x), channel ch sits at ((i*32+y)*32+x)*3+ch.
    for (const [set, batches] of [[ds.train, [0, 1, 2, 3, 4]], [ds.test, [5]]] as const) {
      batches.forEach((b, k) => {
        for (let r = 0; r < 3; r++) {
          const i = k * 3 + r;
          assert.equal(set.labels[i], cifarLabel(b, r));
          for (let p = 0; p < 1024; p++) {
            for (let ch = 0; ch < 3; ch++) {
              if (set.images[(i * 1024 + p) * 3 + ch] !== cifarPixel(b, r, p, ch)) assert.fail(`batch ${b} record ${r} pixel ${p} channel ${ch}`);
            }
          }
        }
      });
    }
    // The second load is from the cache: no request reaches the mirror.
    const before = server.requests.length;
    const again = await fetchDataset('cifar10', { ...fast, cacheDir });
    assert.equal(server.requests.length, before);
    assert.equal(again.origins['data_batch_1.bin'], 'cache');
    assert.equal((await verifyDataset('cifar10', { cacheDir })).state, 'verified');
  } finally {
    await server.close();
  }
});

test('datasets.load(\'cifar10\') (and \'cifar-10\') gives the Keras shapes: (n, 32, 32, 3) uint8, labels 0-9', async () => {
  const server = await startLoopback(serving(archive.bytes));
  try {
    registerDataset(cifarFixtureDefinition(archive, [server.url]));
    const cacheDir = mkdtempSync(join(scratch, 'cache-'));
    const ds = await datasets.load('cifar10', { cacheDir });
    assert.ok(ds.train.images instanceof Uint8Array);
    assert.equal(ds.train.images.length, 15 * 32 * 32 * 3);
    assert.ok(ds.train.labels.every((l) => l < 10));
    const alias = await datasets.load('cifar-10', { cacheDir });
    assert.equal(alias.name, 'cifar10');
  } finally {
    await server.close();
  }
});

test('a damaged cached member is found by verify, set aside, and extracted again from a new download', async () => {
  const server = await startLoopback(serving(archive.bytes));
  const cacheDir = mkdtempSync(join(scratch, 'cache-'));
  try {
    registerDataset(cifarFixtureDefinition(archive, [server.url]));
    await fetchDataset('cifar10', { ...fast, cacheDir });
    const member = join(cacheDir, 'cifar10', 'data_batch_3.bin');
    const bytes = readFileSync(member);
    bytes[100] ^= 0xff;
    writeFileSync(member, bytes);
    forgetVerified();
    const status = await verifyDataset('cifar10', { cacheDir });
    assert.equal(status.state, 'damaged');
    const bad = status.files.find((f) => !f.ok);
    assert.equal(bad?.name, 'data_batch_3.bin');
    assert.match(bad?.reason ?? '', /SHA-256 is [0-9a-f]{12}\.\.\., expected [0-9a-f]{12}\.\.\./);
    const statuses: string[] = [];
    const got = await fetchDataset('cifar10', { ...fast, cacheDir, onStatus: (s) => statuses.push(s) });
    assert.equal(got.origins['data_batch_3.bin'], `${server.url}cifar-10-binary.tar.gz`);
    assert.ok(statuses.some((s) => /data_batch_3\.bin .*set aside as .*data_batch_3\.bin\.corrupt/.test(s)), statuses.join('\n'));
    assert.ok(existsSync(`${member}.corrupt`));
    assert.equal((await verifyDataset('cifar10', { cacheDir })).state, 'verified');
  } finally {
    await server.close();
  }
});

test('a cache extracted from another archive (another pin) is not taken for this one', async () => {
  const server = await startLoopback(serving(archive.bytes));
  const cacheDir = mkdtempSync(join(scratch, 'cache-'));
  try {
    registerDataset(cifarFixtureDefinition(archive, [server.url]));
    await fetchDataset('cifar10', { ...fast, cacheDir });
    registerDataset(real);
    const status = await verifyDataset('cifar10', { cacheDir });
    assert.equal(status.state, 'damaged');
    assert.match(status.files[0].reason ?? '', /manifest records an archive|records an archive with SHA-256 [0-9a-f]{12}\.\.\., not the pinned c4a38c50a1bc\.\.\./);
  } finally {
    await server.close();
  }
});
