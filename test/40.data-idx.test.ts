/** IDX parsing (raw and gzip, every malformation named), datasets given by their files, and the picture renderer. */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, mkdtempSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseIdx, readIdxFile, encodeIdx, loadDataset, renderImage, type ImageSet } from '../src/data/index.js';
import { tinyDir } from './fixtures/data/loopback-server.js';

// Everything the tests write (caches hold 55 MB copies of MNIST) goes here and is removed at the end.
const scratch = mkdtempSync(join(tmpdir(), 'cnn-data-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function assertIdxError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: Error & { code?: string }) => {
    assert.equal(e.code, 'ERR_IDX_FORMAT');
    assert.match(e.message, /^some\/file\.idx is not a valid IDX file: /);
    assert.match(e.message, pattern);
    return true;
  });
}

test('parseIdx reads dimensions and values, raw or gzip, without copying the values', () => {
  const raw = encodeIdx([2, 3, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
  const parsed = parseIdx(raw, 'x');
  assert.deepEqual(parsed.dims, [2, 3, 2]);
  assert.deepEqual([...parsed.data], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
  assert.equal(parsed.data.buffer, raw.buffer, 'a view into the file buffer');
  assert.equal(parsed.data.byteOffset, raw.byteOffset + 16);
  const unzipped = parseIdx(gzipSync(raw), 'x.gz');
  assert.deepEqual(unzipped.dims, [2, 3, 2]);
  assert.deepEqual([...unzipped.data], [...parsed.data]);
});

test('parseIdx names the file and the problem for each kind of damage', () => {
  const good = encodeIdx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
  const withByte = (i: number, v: number) => {
    const b = Buffer.from(good);
    b[i] = v;
    return b;
  };
  assertIdxError(() => parseIdx(good.subarray(0, 3), 'some/file.idx'), /3 bytes long, shorter than the 4-byte header/);
  assertIdxError(() => parseIdx(withByte(0, 0x50), 'some/file.idx'), /bad magic number 50 00 08 03/);
  assertIdxError(() => parseIdx(withByte(2, 0x0d), 'some/file.idx'), /values are float32; only uint8/);
  assertIdxError(() => parseIdx(withByte(3, 7), 'some/file.idx'), /7 dimensions/);
  assertIdxError(() => parseIdx(good.subarray(0, 10), 'some/file.idx'), /shorter than its 16-byte header/);
  assertIdxError(() => parseIdx(good.subarray(0, good.length - 1), 'some/file.idx'), /truncated: dimensions 2x2x2 need 24 bytes, the file has 23/);
  assertIdxError(() => parseIdx(Buffer.concat([good, Buffer.alloc(3)]), 'some/file.idx'), /longer than its header says: .* the file has 27/);
  assertIdxError(() => parseIdx(withByte(11, 0), 'some/file.idx'), /dimension 1 is 0/);
  assertIdxError(() => parseIdx(gzipSync(good).subarray(0, 15), 'some/file.idx'), /looks gzip-compressed but does not decompress/);
});

test('readIdxFile names a missing file', async () => {
  await assert.rejects(readIdxFile('/nonexistent/dir/train-images'), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'ERR_IDX_FORMAT');
    assert.match(e.message, /cannot read IDX file \/nonexistent\/dir\/train-images: no such file/);
    return true;
  });
});

test('a dataset given by a directory of IDX files (raw or .gz) loads with its own classes', async () => {
  const dir = mkdtempSync(join(scratch, 'cnn-custom-'));
  copyFileSync(join(tinyDir, 'train-images-idx3-ubyte.gz'), join(dir, 'train-images-idx3-ubyte.gz'));
  for (const f of ['train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) copyFileSync(join(tinyDir, f), join(dir, f));
  const ds = await loadDataset({ name: 'letters', classes: 3, dir });
  assert.equal(ds.name, 'letters');
  assert.deepEqual(ds.classNames, ['0', '1', '2']);
  assert.deepEqual({ count: ds.train.count, h: ds.train.height, w: ds.train.width, c: ds.train.channels }, { count: 3, h: 4, w: 5, c: 1 });
  assert.equal(ds.train.images.length, 3 * 4 * 5);
  assert.deepEqual([...ds.train.labels], [0, 1, 2]);
  assert.deepEqual([...ds.test.labels], [2, 0]);
  // The fixture's train pixels are (k * 37) % 256 in file order.
  assert.deepEqual([...ds.train.images.subarray(0, 4)], [0, 37, 74, 111]);
});

test('explicit files are resolved from baseDir; a 4-D image file gives channels', async () => {
  const dir = mkdtempSync(join(scratch, 'cnn-custom-'));
  writeFileSync(join(dir, 'a-img'), encodeIdx([2, 2, 2, 3], Array.from({ length: 24 }, (_, i) => i)));
  writeFileSync(join(dir, 'a-lbl'), encodeIdx([2], [4, 1]));
  const ds = await loadDataset(
    { classes: 5, classNames: ['a', 'b', 'c', 'd', 'e'], baseDir: dir, train: { images: 'a-img', labels: 'a-lbl' }, test: { images: 'a-img', labels: 'a-lbl' } },
  );
  assert.equal(ds.name, 'custom');
  assert.equal(ds.train.channels, 3);
  assert.equal(ds.classNames[ds.test.labels[0]], 'e');
});

test('a custom dataset with inconsistent files is refused with the file named', async () => {
  const dir = mkdtempSync(join(scratch, 'cnn-custom-'));
  writeFileSync(join(dir, 'img'), encodeIdx([3, 2, 2], new Array(12).fill(0)));
  writeFileSync(join(dir, 'lbl2'), encodeIdx([2], [0, 1]));
  writeFileSync(join(dir, 'lbl3'), encodeIdx([3], [0, 1, 7]));
  const source = (labels: string, classes = 3) => ({ classes, baseDir: dir, train: { images: 'img', labels }, test: { images: 'img', labels } });
  await assert.rejects(loadDataset(source('lbl2')), /train split has 3 images in .*img but 2 labels in .*lbl2/);
  await assert.rejects(loadDataset(source('lbl3')), /lbl3: label 7 at index 2 is not below the number of classes \(3\)/);
  await assert.rejects(loadDataset(source('missing')), (e: Error & { code?: string }) => e.code === 'ERR_DATASET_UNAVAILABLE' && /missing \(or .*missing\.gz\) does not exist/.test(e.message));
  await assert.rejects(loadDataset(source('lbl3', 0)), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /classes must be an integer from 1 to 256/.test(e.message));
  await assert.rejects(loadDataset({ classes: 3, train: { images: 'img', labels: 'lbl2' } }), /needs "dir" or train\/test images and labels; missing: testImages, testLabels/);
  await assert.rejects(loadDataset('no-such-set'), (e: Error & { code?: string; exitCode?: number }) => e.code === 'ERR_UNKNOWN_DATASET' && e.exitCode === 2);
});

test('renderImage maps grey levels onto the character ramp, two characters per pixel', () => {
  const set: ImageSet = { images: Uint8Array.from([0, 128, 255, 25, 26, 230]), labels: Uint8Array.from([0]), count: 1, height: 2, width: 3, channels: 1 };
  // level = floor(v * 10 / 256): 0 -> ' ', 128 -> 5 '+', 255 -> 9 '@', 25 -> 0, 26 -> 1 '.', 230 -> 8 '%'
  assert.equal(renderImage(set, 0), '  ++@@\n  ..%%');
  assert.equal(renderImage(set, 0, { charsPerPixel: 1, invert: true }), '@=\n@%.', 'inverted ramp: 255 is blank');
  assert.throws(() => renderImage(set, 1), /index 1 is out of range 0..0/);
  const rgb: ImageSet = { images: Uint8Array.from([255, 255, 255, 0, 0, 30]), labels: Uint8Array.from([0]), count: 1, height: 1, width: 2, channels: 3 };
  assert.equal(renderImage(rgb, 0, { charsPerPixel: 1 }), '@', 'channels averaged; trailing blanks trimmed');
});

test('the fixture files on disk are the IDX files the tests pin', () => {
  const labels = parseIdx(readFileSync(join(tinyDir, 't10k-labels-idx1-ubyte.gz')), 't10k-labels-idx1-ubyte.gz');
  assert.deepEqual(labels.dims, [2]);
  assert.deepEqual([...labels.data], [2, 0]);
});

test('loadDataset with splits ["test"] reads the training files\' headers only: an empty train split with its image shape', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnn-splits-'));
  try {
    const write = (name: string, dims: number[], fill: (i: number) => number) => {
      const count = dims.reduce((a, b) => a * b, 1);
      writeFileSync(join(dir, name), encodeIdx(dims, Array.from({ length: count }, (_, i) => fill(i))));
    };
    write('train-images', [6, 3, 4], (i) => i % 256);
    // A label no 2-class dataset may hold: reading the training labels would refuse the dataset.
    write('train-labels', [6], (i) => (i === 5 ? 9 : i % 2));
    write('test-images', [2, 3, 4], (i) => 255 - i);
    write('test-labels', [2], (i) => i);
    const source = { classes: 2, train: { images: 'train-images', labels: 'train-labels' }, test: { images: 'test-images', labels: 'test-labels' }, baseDir: dir };
    await assert.rejects(loadDataset(source), /label 9 at index 5 is not below the number of classes \(2\)/);
    const d = await loadDataset(source, { splits: ['test'] });
    assert.deepEqual([d.train.count, d.train.images.length, d.train.labels.length, d.train.height, d.train.width, d.train.channels], [0, 0, 0, 3, 4, 1]);
    assert.equal(d.test.count, 2);
    assert.deepEqual(Array.from(d.test.labels), [0, 1]);
    assert.equal(d.test.images[0], 255);
    // A file that is not IDX is still refused by its header, read or not.
    writeFileSync(join(dir, 'train-images'), 'not an idx file at all');
    await assert.rejects(loadDataset(source, { splits: ['test'] }), /train-images/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadDataset with trainLimit reads the first N training images and labels only, raw or gzip, and says how many the file holds', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnn-limit-'));
  try {
    const images = encodeIdx([6, 3, 4], Array.from({ length: 72 }, (_, i) => (i * 7) % 256));
    // The last label is out of range for 2 classes: only a read of all six would see it.
    const labels = encodeIdx([6], [1, 0, 1, 1, 0, 9]);
    writeFileSync(join(dir, 'train-images'), images);
    writeFileSync(join(dir, 'train-labels.gz'), gzipSync(labels));
    writeFileSync(join(dir, 'test-images'), encodeIdx([1, 3, 4], new Array(12).fill(3)));
    writeFileSync(join(dir, 'test-labels'), encodeIdx([1], [0]));
    const source = { classes: 2, train: { images: 'train-images', labels: 'train-labels.gz' }, test: { images: 'test-images', labels: 'test-labels' }, baseDir: dir };
    const d = await loadDataset(source, { splits: ['train'], trainLimit: 4 });
    assert.deepEqual([d.train.count, d.train.available, d.train.images.length], [4, 6, 48]);
    assert.deepEqual(Array.from(d.train.images), Array.from(images.subarray(16, 16 + 48)));
    assert.deepEqual(Array.from(d.train.labels), [1, 0, 1, 1]);
    assert.deepEqual([d.test.count, d.test.available, d.test.height, d.test.width], [0, 1, 3, 4]);
    // testLimit is the same for the test split (cnn eval --limit, bench train --eval-images, data show).
    writeFileSync(join(dir, 'test-images'), encodeIdx([3, 3, 4], Array.from({ length: 36 }, (_, i) => i)));
    writeFileSync(join(dir, 'test-labels'), encodeIdx([3], [0, 1, 7]));
    const t = await loadDataset(source, { splits: ['test'], testLimit: 2 });
    assert.deepEqual([t.test.count, t.test.available, t.train.count], [2, 3, 0]);
    assert.deepEqual(Array.from(t.test.labels), [0, 1], 'the bad third label is never read');
    assert.deepEqual(Array.from(t.test.images), Array.from({ length: 24 }, (_, i) => i));
    // A limit past the end is the whole file, which then holds the bad label.
    await assert.rejects(loadDataset(source, { trainLimit: 100 }), /label 9 at index 5 is not below the number of classes \(2\)/);
    // Images and labels of different counts are refused as before, whatever the limit.
    writeFileSync(join(dir, 'train-labels.gz'), gzipSync(encodeIdx([5], [1, 0, 1, 1, 0])));
    await assert.rejects(loadDataset(source, { splits: ['train'], trainLimit: 2 }), /the train split has 6 images in .*train-images but 5 labels in .*train-labels\.gz/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
