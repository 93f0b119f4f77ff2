/**
 * The verification stamp beside a cached dataset file: a load in a later process trusts it instead of
 * hashing the file again, as long as the file is the very one that was hashed (size, inode, mtime and
 * ctime); `cnn data verify` (checkFile without useStamp) always hashes.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkFile, forgetVerified, sha256Hex } from '../src/data/checksums.js';

const dir = mkdtempSync(join(tmpdir(), 'cnn-stamp-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function garble(path: string): void {
  const before = statSync(path);
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.from([0xff]), 0, 1, 10);
  closeSync(fd);
  utimesSync(path, before.atime, before.mtime); // same size, same mtime: only the ctime tells
}

test('a load leaves a stamp; the next process trusts it, but not once the file was written, even with its mtime set back', async () => {
  const path = join(dir, 'images');
  const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));
  writeFileSync(path, bytes);
  const pinned = { name: 'images', size: bytes.length, sha256: sha256Hex(bytes) };
  assert.deepEqual(await checkFile(path, pinned, { useStamp: true }), { ok: true, path });
  const stamp = JSON.parse(readFileSync(`${path}.verified`, 'utf8')) as Record<string, unknown>;
  assert.equal(stamp.sha256, pinned.sha256);
  assert.equal(stamp.size, bytes.length);

  forgetVerified(); // as a new process
  garble(path);
  const damaged = await checkFile(path, pinned, { useStamp: true });
  assert.equal(damaged.ok, false, 'the ctime changed: the stamp no longer vouches for the file');
  assert.match((damaged as { reason: string }).reason, /^SHA-256 is [0-9a-f]{12}\.\.\., expected /);
});

test('cnn data verify hashes whatever the stamp says', async () => {
  const path = join(dir, 'labels');
  const bytes = Buffer.alloc(1000, 7);
  writeFileSync(path, bytes);
  const pinned = { name: 'labels', size: bytes.length, sha256: sha256Hex(bytes) };
  garble(path);
  // A stamp that matches the damaged file (as if written before damage the file system cannot see).
  const info = statSync(path);
  writeFileSync(`${path}.verified`, JSON.stringify({ size: info.size, ino: info.ino, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, sha256: pinned.sha256 }));
  forgetVerified();
  assert.equal((await checkFile(path, pinned, { useStamp: true })).ok, true, 'a load trusts a matching stamp without reading the file');
  forgetVerified();
  assert.equal((await checkFile(path, pinned)).ok, false, 'verify reads and hashes it');
  assert.ok(existsSync(`${path}.verified`));
});
