/**
 * Folder datasets, which files: Keras's class order (code points, an empty class counts), its
 * extension list (others skipped), nested folders, numpy's seeded shuffle and the validation split,
 * symlinks with and without follow_links, and the folders that cannot be a dataset.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareCodePoints, indexDirectory, kerasOrder, subsetOf, validationCount } from '../src/data/folder-index.js';
import { numpyShuffle } from '../src/data/numpy-shuffle.js';
import { imageDatasetFromDirectory } from '../src/index.js';
import { tempDir, writeImage } from './helpers/image-folder.js';

const scratch = tempDir();
after(() => rmSync(scratch, { recursive: true, force: true }));

function touch(path: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, 'x');
}

test('numpyShuffle is np.random.RandomState(seed).shuffle (sequences printed by numpy 2.4)', () => {
  assert.deepEqual(numpyShuffle([...Array(10).keys()], 1), [2, 9, 6, 4, 0, 3, 1, 7, 8, 5]);
  assert.deepEqual(numpyShuffle([...Array(300).keys()], 123456).slice(0, 20), [233, 40, 237, 236, 85, 50, 91, 172, 6, 144, 1, 12, 231, 78, 111, 135, 2, 250, 235, 13]);
  assert.throws(() => numpyShuffle([1], -1), /seed must be an integer/);
});

test('class folders sort by code point as Python sorts strings; hidden folders and files at the top are not classes', async () => {
  const dir = join(scratch, 'order');
  for (const c of ['b', 'B', 'a_1', 'a', 'é', 'Z', '.hidden', 'empty']) mkdirSync(join(dir, c), { recursive: true });
  touch(join(dir, 'top-level.png'));
  for (const c of ['b', 'B', 'a_1', 'a', 'é', 'Z', '.hidden']) touch(join(dir, c, 'x.png'));
  const index = await indexDirectory(dir);
  assert.deepEqual(index.classNames, ['B', 'Z', 'a', 'a_1', 'b', 'empty', 'é']);
  assert.equal(index.files.length, 6, 'the empty class has no files but is a class, as in Keras');
  assert.ok(compareCodePoints('\u{1F600}', '\uFFFF') > 0, 'an astral character sorts after U+FFFF (UTF-16 order would not)');
});

test("only Keras's extensions count (any case); others are skipped; nested folders are walked in Keras's order", async () => {
  const dir = join(scratch, 'ext');
  for (const name of ['a.png', 'b.PNG', 'c.jpg', 'd.JPEG', 'e.bmp', 'f.gif', 'g.webp', 'h.tiff', 'notes.txt', 'noext', 'sub/z.png', 'sub/deeper/y.png', 'sub a/x.png']) touch(join(dir, 'cls', name));
  const index = await indexDirectory(dir);
  assert.deepEqual(
    index.files.map((f) => f.relPath),
    // Keras sorts the walk by root path: "cls/sub" < "cls/sub a" < "cls/sub/deeper" (checked with Keras 3.15).
    ['cls/a.png', 'cls/b.PNG', 'cls/c.jpg', 'cls/d.JPEG', 'cls/e.bmp', 'cls/f.gif', 'cls/sub/z.png', 'cls/sub a/x.png', 'cls/sub/deeper/y.png'],
  );
});

test('the validation subset is the last int(split * n) files after the shuffle, the training subset the rest', () => {
  const order = kerasOrder(10, true, 1);
  assert.deepEqual(order, [2, 9, 6, 4, 0, 3, 1, 7, 8, 5]);
  assert.equal(validationCount(10, 0.2), 2);
  assert.equal(validationCount(10, 0.29), 2, 'int() truncates');
  assert.deepEqual(subsetOf(order, 0.2, 'validation'), [8, 5]);
  assert.deepEqual(subsetOf(order, 0.2, 'training'), [2, 9, 6, 4, 0, 3, 1, 7]);
  assert.deepEqual(kerasOrder(4, false, 1), [0, 1, 2, 3], 'shuffle false keeps the sorted order');
});

test('symlinks: a linked class subfolder is skipped without follow_links and walked with it; a link loop is refused by name', async () => {
  const dir = join(scratch, 'links');
  const outside = join(scratch, 'outside');
  await writeImage(join((mkdirSync(join(outside), { recursive: true }), outside), 'o.png'), 4, 4, 1, 'png');
  mkdirSync(join(dir, 'cls'), { recursive: true });
  await writeImage(join(dir, 'cls', 'a.png'), 4, 4, 2, 'png');
  symlinkSync(outside, join(dir, 'cls', 'linked'));
  assert.deepEqual((await indexDirectory(dir)).files.map((f) => f.relPath), ['cls/a.png']);
  assert.deepEqual((await indexDirectory(dir, { followLinks: true })).files.map((f) => f.relPath), ['cls/a.png', 'cls/linked/o.png']);
  symlinkSync(join(dir, 'cls'), join(dir, 'cls', 'loop'));
  assert.equal((await indexDirectory(dir)).files.length, 1, 'without follow_links the loop is never entered');
  await assert.rejects(indexDirectory(dir, { followLinks: true }), (e: Error) => {
    assert.match(e.message, /links\/cls\/loop is a symbolic link back into a folder that contains it \(a loop\)/);
    return true;
  });
  symlinkSync(join(scratch, 'nowhere.png'), join(dir, 'cls', 'dangling.png'));
  await assert.rejects(indexDirectory(dir), /cls\/dangling\.png is a symbolic link to nothing/);
});

test('a missing folder, a file, a folder with no class folders and one with no images are refused with their names', async () => {
  const load = (d: string) => imageDatasetFromDirectory(d, { imageSize: 4, cacheDir: join(scratch, 'cache') });
  await assert.rejects(load(join(scratch, 'nope')), (e: Error & { code?: string }) => {
    assert.match(e.message, /the image folder .*nope does not exist/);
    assert.equal(e.code, 'ERR_DATASET_UNAVAILABLE');
    return true;
  });
  touch(join(scratch, 'flat', 'a.png'));
  await assert.rejects(load(join(scratch, 'flat', 'a.png')), /flat\/a\.png is a file, not a folder of class subfolders/);
  await assert.rejects(load(join(scratch, 'flat')), /flat holds no class folders: put each class's images in a subfolder/);
  mkdirSync(join(scratch, 'hollow', 'cats'), { recursive: true });
  touch(join(scratch, 'hollow', 'cats', 'readme.txt'));
  await assert.rejects(load(join(scratch, 'hollow')), /hollow holds no images \(\.bmp, \.gif, \.jpeg, \.jpg, \.png\) in its class folders cats/);
  await assert.rejects(imageDatasetFromDirectory(join(scratch, 'order'), { classNames: ['a', 'dogs'] }), /has no class folder "dogs"; its class folders are: B, Z, a/);
});
