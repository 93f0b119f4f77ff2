/**
 * CIFAR-10 archives that must be refused, each with one clear message and nothing left in the cache:
 * a checksum mismatch, a truncated download, a truncated archive (gzip or tar cut short), a missing
 * member, a wrong record size, a damaged tar header, a link where a member should be, and entries
 * whose names point outside the cache (ignored: nothing is ever written by an entry's name).
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { fetchDataset, getDataset, loadDataset, registerDataset } from '../src/data/index.js';
import { startLoopback, type Handler } from './fixtures/data/loopback-server.js';
import { buildCifarArchive, cifarBatch, cifarFixtureDefinition, sha256, type CifarArchive } from './helpers/cifar-fixture.js';

const scratch = mkdtempSync(join(tmpdir(), 'cnn-cifar-damage-'));
const real = getDataset('cifar10');
after(() => {
  registerDataset(real);
  rmSync(scratch, { recursive: true, force: true });
});

const good = buildCifarArchive({ records: 2 });
const fast = { idleTimeoutMs: 2000, timeoutMs: 5000, extraMirrors: [] as string[] };
const serving = (bytes: Buffer): Handler => (_req, res) => void res.writeHead(200, { 'content-length': bytes.length }).end(bytes);

/** An archive of these bytes, pinned as it is: what reaches the tar reader after the hash passes. */
function pinnedAs(bytes: Buffer, records = 2): CifarArchive {
  return { bytes, sha256: sha256(bytes), size: bytes.length, records };
}

/** Fetches `served` against the pin of `pinned`; returns the error and the cache folder's contents. */
async function fetchFails(served: Buffer, pinned: CifarArchive = pinnedAs(served), handler?: Handler): Promise<{ error: Error & { code?: string; exitCode?: number }; left: string[]; url: string }> {
  const server = await startLoopback(handler ?? serving(served));
  const cacheDir = mkdtempSync(join(scratch, 'cache-'));
  try {
    registerDataset(cifarFixtureDefinition(pinned, [server.url]));
    const error = await loadDataset('cifar10', { ...fast, cacheDir }).then(
      () => assert.fail('the fetch should have failed'),
      (e: Error) => e,
    );
    const dir = join(cacheDir, 'cifar10');
    return { error, left: existsSync(dir) ? readdirSync(dir) : [], url: `${server.url}cifar-10-binary.tar.gz` };
  } finally {
    await server.close();
  }
}

/** A ustar header block for `name` (type '0' file, '2' symlink ...) holding `size` bytes. */
function ustarHeader(name: string, size: number, type = '0', link = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write(type, 156);
  h.write(link, 157);
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

function ustarEntry(name: string, content: Buffer, type = '0', link = ''): Buffer {
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([ustarHeader(name, content.length, type, link), content, pad]);
}

const END = Buffer.alloc(1024);

test('an archive that is not the pinned one fails its checksum; nothing is stored', async () => {
  const other = Buffer.from(good.bytes);
  other[other.length >> 1] ^= 0xff; // the same size, another content
  const { error, left, url } = await fetchFails(other, good);
  assert.equal(error.code, 'ERR_DATASET_UNAVAILABLE');
  assert.equal(error.exitCode, 1);
  assert.ok(error.message.includes(`${url}: checksum mismatch: SHA-256 is ${sha256(other).slice(0, 12)}..., expected ${good.sha256.slice(0, 12)}...`), error.message);
  assert.ok(error.message.includes(`  - download ${url} (${good.size} bytes, from https://www.cs.toronto.edu/~kriz/cifar.html) on a machine with a network, then pass --data-dir DIR, the folder holding it`), error.message);
  assert.deepEqual(left, []);
});

test('a download cut short is refused as truncated; nothing is stored', async () => {
  const cutting: Handler = (_req, res) => {
    res.writeHead(200, { 'content-length': good.bytes.length });
    res.write(good.bytes.subarray(0, good.bytes.length >> 1));
    setTimeout(() => res.socket?.destroy(), 20);
  };
  const { error, left, url } = await fetchFails(good.bytes, good, cutting);
  assert.equal(error.code, 'ERR_DATASET_UNAVAILABLE');
  assert.match(error.message, new RegExp(`${url.replace(/[.]/g, '\\.')}: .*(truncated|closed|reset)`));
  assert.deepEqual(left, []);
});

test('a truncated archive (its gzip stream cut, or its tar cut inside a member) names the problem', async () => {
  const cutGzip = good.bytes.subarray(0, good.bytes.length - 200);
  let r = await fetchFails(cutGzip);
  assert.equal(r.error.code, 'ERR_DATASET_FORMAT');
  assert.equal(r.error.exitCode, 1);
  assert.ok(r.error.message.startsWith(`cifar-10-binary.tar.gz (from ${r.url}) is truncated or damaged: its gzip stream does not decompress (unexpected end of file)`), r.error.message);
  assert.deepEqual(r.left, [], 'no member, temporary file or archive is left');

  const tar = gunzipSync(good.bytes);
  r = await fetchFails(gzipSync(tar.subarray(0, 512 * 20)));
  assert.match(r.error.message, /is truncated: "cifar-10-batches-bin\/[a-z_0-9]+\.bin" should have 6146 bytes, the archive ends after \d+$/);
  assert.deepEqual(r.left, []);

  // Whole entries but no end-of-archive marker.
  const ustar = gzipSync(ustarEntry('cifar-10-batches-bin/batches.meta.txt', Buffer.from('a\n')));
  r = await fetchFails(ustar);
  assert.match(r.error.message, /is truncated: it ends at byte 1024 without the end-of-archive marker$/);
});

test('a missing member is named, and no partial set of members is kept', async () => {
  const noTest = buildCifarArchive({ records: 2, omit: ['test_batch.bin'] });
  const { error, left } = await fetchFails(noTest.bytes);
  assert.equal(error.code, 'ERR_DATASET_FORMAT');
  assert.match(error.message, /\) has no cifar-10-batches-bin\/test_batch\.bin: not the cifar10 archive, or damaged$/);
  assert.deepEqual(left, []);
});

test('a batch of the wrong record size, or of another number of records, is refused before it is read', async () => {
  const short = buildCifarArchive({ records: 2, recordBytes: 3072 });
  let r = await fetchFails(short.bytes);
  assert.equal(r.error.code, 'ERR_DATASET_FORMAT');
  assert.match(r.error.message, /: cifar-10-batches-bin\/data_batch_\d\.bin is 6144 bytes, not a whole number of 3073-byte records \(1 label byte \+ 32x32x3 pixels\)$/);
  assert.deepEqual(r.left, []);
  r = await fetchFails(good.bytes, { ...good, records: 3 });
  assert.match(r.error.message, /: cifar-10-batches-bin\/(data|test)_batch(_\d)?\.bin holds 2 records of 3073 bytes; a cifar10 batch holds 3$/);
});

test('a label outside 0-9 is named with its file and record when the batches are read', async () => {
  const badLabel = buildCifarArchive({ records: 2, firstLabel: 10 });
  const { error } = await fetchFails(badLabel.bytes);
  assert.equal(error.code, 'ERR_DATASET_FORMAT');
  assert.match(error.message, /data_batch_1\.bin: record 0 has label 10, not below the number of classes \(10\)$/);
});

test('a tar header that fails its checksum is refused with its byte offset', async () => {
  const tar = Buffer.from(gunzipSync(good.bytes));
  tar[512 * 1 + 10] ^= 0x01; // the second header's name
  const { error } = await fetchFails(gzipSync(tar));
  assert.match(error.message, /cifar-10-binary\.tar\.gz \(from .*\): the header at byte 512 fails its checksum \(damaged\)$/);
  const notTar = await fetchFails(gzipSync(Buffer.alloc(4096, 7)));
  assert.match(notTar.error.message, /the header at byte 0 is not a ustar header .*not a tar archive, or damaged$/);
});

test('entries named outside the cache are never written; a link in place of a member is refused', async () => {
  const members = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];
  const target = join(scratch, 'evil');
  mkdirSync(target);
  const hostile = Buffer.concat([
    ustarEntry(`../../${'x'.repeat(3)}/evil.bin`, Buffer.from('outside')),
    ustarEntry(join(target, 'absolute.bin'), Buffer.from('absolute')),
    ...members.map((m, b) => ustarEntry(`./cifar-10-batches-bin/${m}`, cifarBatch(b, 2))),
    ustarEntry('cifar-10-batches-bin/batches.meta.txt', Buffer.from('airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n')),
    END,
  ]);
  const server = await startLoopback(serving(gzipSync(hostile)));
  const cacheDir = mkdtempSync(join(scratch, 'cache-'));
  try {
    registerDataset(cifarFixtureDefinition(pinnedAs(gzipSync(hostile)), [server.url]));
    const ds = await loadDataset('cifar10', { ...fast, cacheDir });
    assert.equal(ds.train.count, 10, 'the expected members were read ("./" prefixes allowed)');
  } finally {
    await server.close();
  }
  assert.deepEqual(readdirSync(target), [], 'the absolute-path entry wrote nothing');
  assert.ok(!existsSync(join(scratch, 'xxx')) && !existsSync(join(cacheDir, '..', 'xxx')), 'the ../ entry wrote nothing');

  const linked = Buffer.concat([ustarEntry('cifar-10-batches-bin/data_batch_1.bin', Buffer.alloc(0), '2', '/etc/passwd'), END]);
  const { error, left } = await fetchFails(gzipSync(linked));
  assert.match(error.message, /: cifar-10-batches-bin\/data_batch_1\.bin is a symbolic link, not a regular file$/);
  assert.deepEqual(left, []);
});

test('--data-dir holding the archive works with no network; one without it is named', async () => {
  const dataDir = mkdtempSync(join(scratch, 'dl-'));
  writeFileSync(join(dataDir, 'cifar-10-binary.tar.gz'), good.bytes);
  registerDataset(cifarFixtureDefinition(good, ['http://127.0.0.1:9/']));
  const cacheDir = mkdtempSync(join(scratch, 'cache-'));
  const got = await fetchDataset('cifar10', { ...fast, cacheDir, dataDir });
  assert.equal(got.origins['test_batch.bin'], join(dataDir, 'cifar-10-binary.tar.gz'));
  const empty = mkdtempSync(join(scratch, 'empty-'));
  await assert.rejects(fetchDataset('cifar10', { ...fast, cacheDir: mkdtempSync(join(scratch, 'cache-')), dataDir: empty }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'ERR_DATA_DIR');
    assert.equal(e.message, `--data-dir ${empty} holds no cifar-10-binary.tar.gz (the cifar10 archive, from https://www.cs.toronto.edu/~kriz/cifar.html)`);
    return true;
  });
});

test('with no source, one message lists each source tried and what to do', async () => {
  registerDataset(cifarFixtureDefinition(good, ['http://127.0.0.1:9/']));
  const cacheDir = mkdtempSync(join(scratch, 'cache-'));
  await assert.rejects(fetchDataset('cifar10', { ...fast, cacheDir }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'ERR_DATASET_UNAVAILABLE');
    const lines = e.message.split('\n');
    assert.equal(lines[0], 'cannot get dataset cifar10: no source has a good copy of cifar-10-binary.tar.gz');
    assert.ok(lines.includes(`  - cache ${join(cacheDir, 'cifar10')}: not there`), e.message);
    assert.ok(lines.includes('  - http://127.0.0.1:9/cifar-10-binary.tar.gz: connection refused'), e.message);
    assert.ok(lines.some((l) => l.startsWith('  - set CNN_DATASET_MIRROR=URL to a mirror serving cifar-10-binary.tar.gz')), e.message);
    return true;
  });
});
