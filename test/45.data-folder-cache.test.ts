/**
 * Folder datasets: the decoded-pixel cache (a second load decodes nothing; any changed file makes
 * it stale; it is written atomically) and the resize rules (an image of the target size is kept
 * bit for bit; bilinear with half-pixel centres; crop and pad to the aspect ratio).
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { imageDatasetFromDirectory } from '../src/index.js';
import { resizeBilinear, resizeWithPad, smartResize, type Pixels } from '../src/data/image-resize.js';
import { tempDir, writeImage } from './helpers/image-folder.js';

const scratch = tempDir();
after(() => rmSync(scratch, { recursive: true, force: true }));

function grey(width: number, height: number, values: number[]): Pixels {
  return { width, height, channels: 1, data: Uint8Array.from(values) };
}

test('the second load reads the cache and decodes nothing; a changed file makes it stale', async () => {
  const dir = join(scratch, 'cached');
  const cacheDir = join(scratch, 'cache');
  for (const c of ['a', 'b']) {
    mkdirSync(join(dir, c), { recursive: true });
    for (let i = 0; i < 3; i++) await writeImage(join(dir, c, `${i}.png`), 10 + i, 8, i + (c === 'a' ? 0 : 5), 'png');
  }
  // A whole-second time, which utimes can set back exactly after the file is garbled.
  const victim = join(dir, 'a', '1.png');
  const when = new Date('2026-01-02T03:04:05Z');
  utimesSync(victim, when, when);
  const statuses: string[] = [];
  const load = () => imageDatasetFromDirectory(dir, { imageSize: [6, 6], shuffle: false, cacheDir, onStatus: (s) => statuses.push(s) });
  const first = await load();
  const cacheFiles = readdirSync(join(cacheDir, 'folders'));
  assert.equal(cacheFiles.length, 1, `one cache file, no temporary left: ${cacheFiles.join(', ')}`);
  assert.match(cacheFiles[0], /^[0-9a-f]{32}\.pixels$/);

  // Garble a file but keep its size and time: only a load that decodes nothing can still succeed.
  const { size } = statSync(victim);
  writeFileSync(victim, Buffer.alloc(size, 0x41));
  utimesSync(victim, when, when);
  statuses.length = 0;
  const second = await load();
  assert.ok(statuses.some((s) => /^read 6 decoded images from the cache /.test(s)), statuses.join('; '));
  assert.deepEqual(second.train.images, first.train.images);
  assert.deepEqual(second.train.labels, first.train.labels);

  // Now its time changes too: the cache is stale, the file is decoded, and it is not an image.
  utimesSync(victim, when, new Date(when.getTime() + 5000));
  await assert.rejects(load(), /a\/1\.png is not a PNG, JPEG, GIF or BMP image/);
  await writeImage(victim, 4, 4, 99, 'png');
  const third = await load();
  assert.notDeepEqual(third.train.images, first.train.images, 'the new image is used');
  assert.equal(readdirSync(join(cacheDir, 'folders')).length, 1, 'the stale cache was replaced, not added to');
});

test('a damaged cache file is ignored and rewritten', async () => {
  const dir = join(scratch, 'cached');
  const cacheDir = join(scratch, 'cache');
  const [name] = readdirSync(join(cacheDir, 'folders'));
  const path = join(cacheDir, 'folders', name);
  const good = readFileSync(path);
  writeFileSync(path, good.subarray(0, good.length - 10));
  const ds = await imageDatasetFromDirectory(dir, { imageSize: [6, 6], shuffle: false, cacheDir });
  assert.equal(ds.train.count, 6);
  assert.equal(readFileSync(path).length, good.length);
});

test('an image of the target size comes out bit for bit; bilinear uses half-pixel centres (tf.image.resize)', async () => {
  const src = grey(4, 1, [0, 100, 200, 255]);
  assert.equal(resizeBilinear(src, 1, 4), src);
  // 4 -> 2: centres at 0.5 and 2.5 in the source: (0+100)/2 = 50 and (200+255)/2 = 227.5 -> 228.
  assert.deepEqual([...resizeBilinear(src, 1, 2).data], [50, 228]);
  // 2 -> 4: in = (x + 0.5) / 2 - 0.5 = -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
  assert.deepEqual([...resizeBilinear(grey(2, 1, [0, 100]), 1, 4).data], [0, 25, 75, 100]);
});

test('crop_to_aspect_ratio takes the centred window; pad_to_aspect_ratio centres the image on zeros', () => {
  const wide = grey(6, 2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual([...smartResize(wide, 2, 2).data], [3, 4, 9, 10], 'the middle 2x2');
  assert.deepEqual([...resizeWithPad(grey(2, 1, [50, 60]), 4, 2).data], [0, 0, 50, 60, 0, 0, 0, 0], 'row 1 of 4 (floor of 1.5)');
});

test('the loaded images of a folder of same-size PNGs are their pixels exactly', async () => {
  const dir = join(scratch, 'exact');
  mkdirSync(join(dir, 'only'), { recursive: true });
  const pixels = Uint8Array.from({ length: 7 * 5 }, (_, i) => (i * 37) & 255);
  writeFileSync(join(dir, 'only', 'x.png'), await sharp(pixels, { raw: { width: 7, height: 5, channels: 1 } }).png().toBuffer());
  const ds = await imageDatasetFromDirectory(dir, { imageSize: [5, 7], colorMode: 'grayscale', cache: false });
  assert.deepEqual(ds.train.images, pixels);
});
