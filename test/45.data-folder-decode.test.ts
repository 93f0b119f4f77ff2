/**
 * Folder datasets, decoding: each kind of bad file stops the load with a message naming it (nothing
 * half-loaded), and the conversions Keras makes are made: sizes resized, grey to RGB, RGBA to RGB,
 * CMYK JPEG to sRGB, 16-bit PNG to 8 bits, the first frame of a GIF.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { imageDatasetFromDirectory } from '../src/index.js';
import { decodeImage } from '../src/data/image-decode.js';
import { noisyRgb, tempDir, writeImage } from './helpers/image-folder.js';

const scratch = tempDir();
after(() => rmSync(scratch, { recursive: true, force: true }));
const cacheDir = join(scratch, 'cache');

/** A folder with one good image per class and `bad` (name -> bytes) in class "b". */
async function folderWith(name: string, bad: Record<string, Uint8Array | string>): Promise<string> {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'a'), { recursive: true });
  mkdirSync(join(dir, 'b'), { recursive: true });
  await writeImage(join(dir, 'a', 'good.png'), 9, 7, 1, 'png');
  await writeImage(join(dir, 'b', 'good.jpg'), 13, 5, 2, 'jpeg');
  for (const [file, bytes] of Object.entries(bad)) writeFileSync(join(dir, 'b', file), bytes);
  return dir;
}

async function rejectsNaming(dir: string, file: string, reason: RegExp): Promise<void> {
  await assert.rejects(imageDatasetFromDirectory(dir, { imageSize: [8, 8], cacheDir }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'ERR_BAD_IMAGE');
    assert.ok(e.message.startsWith(join(dir, 'b', file)), `names the file: ${e.message}`);
    assert.match(e.message, reason);
    assert.match(e.message, /no image of the folder was used/);
    return true;
  });
}

test('a truncated PNG, a truncated JPEG, a corrupt PNG, text named .png and an empty .jpg each stop the load, naming the file', async () => {
  const png = await sharp(noisyRgb(30, 30, 3), { raw: { width: 30, height: 30, channels: 3 } }).png().toBuffer();
  const jpg = await sharp(noisyRgb(30, 30, 4), { raw: { width: 30, height: 30, channels: 3 } }).jpeg().toBuffer();
  const corrupt = Buffer.from(png);
  for (let i = 60; i < corrupt.length - 20; i += 7) corrupt[i] ^= 0x5a;
  await rejectsNaming(await folderWith('trunc-png', { 'x.png': png.subarray(0, png.length - 100) }), 'x.png', /cannot be decoded as PNG \(.+\): is it damaged or truncated\?/);
  await rejectsNaming(await folderWith('trunc-jpg', { 'x.jpg': jpg.subarray(0, jpg.length / 2) }), 'x.jpg', /cannot be decoded as JPEG/);
  await rejectsNaming(await folderWith('corrupt', { 'x.png': corrupt }), 'x.png', /cannot be decoded as PNG/);
  await rejectsNaming(await folderWith('text', { 'x.png': 'just some text, not an image' }), 'x.png', /is not a PNG, JPEG, GIF or BMP image/);
  await rejectsNaming(await folderWith('empty', { 'x.jpg': '' }), 'x.jpg', /is empty \(0 bytes\)/);
});

test('images of different sizes are resized; a text file beside them is skipped', async () => {
  const dir = await folderWith('sizes', { 'notes.txt': 'skipped' });
  const ds = await imageDatasetFromDirectory(dir, { imageSize: [6, 10], cacheDir, shuffle: false });
  assert.equal(ds.train.count, 2);
  assert.deepEqual([ds.train.height, ds.train.width, ds.train.channels], [6, 10, 3]);
  assert.equal(ds.train.images.length, 2 * 6 * 10 * 3);
});

test('a grey PNG in an RGB dataset repeats its grey; RGBA loses its alpha; rgba adds alpha 255; grayscale keeps a grey image exactly', async () => {
  const grey = Buffer.from([0, 50, 100, 150, 200, 250]);
  const greyPng = await sharp(grey, { raw: { width: 3, height: 2, channels: 1 } }).png().toBuffer();
  const rgb = await decodeImage(greyPng, 'rgb');
  assert.deepEqual([...rgb.data.subarray(0, 6)], [0, 0, 0, 50, 50, 50]);
  assert.deepEqual([...(await decodeImage(greyPng, 'grayscale')).data], [...grey]);
  assert.deepEqual([...(await decodeImage(greyPng, 'rgba')).data.subarray(0, 8)], [0, 0, 0, 255, 50, 50, 50, 255]);
  const rgbaPng = await sharp(Buffer.from([10, 20, 30, 0, 40, 50, 60, 128]), { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
  assert.deepEqual([...(await decodeImage(rgbaPng, 'rgb')).data], [10, 20, 30, 40, 50, 60], 'alpha dropped, not composited (as TF)');
  // TF's decode_png(channels=1) of these pixels gives 76, 149, 29, 140 (libpng's rgb_to_gray, checked with TF 2.21).
  const colour = await sharp(Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 100, 150, 200]), { raw: { width: 4, height: 1, channels: 3 } }).png().toBuffer();
  assert.deepEqual([...(await decodeImage(colour, 'grayscale')).data], [76, 149, 29, 140]);
});

test('a CMYK JPEG becomes sRGB close to the colour it was made from', async () => {
  const rgb = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 30, b: 90 } } }).png().toBuffer();
  const cmyk = await sharp(rgb).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  const { data, channels } = await decodeImage(cmyk, 'rgb');
  assert.equal(channels, 3);
  // sRGB -> CMYK -> sRGB through libvips's profiles is not lossless (200, 30, 90 comes back as 199, 10, 82).
  for (const [got, want] of [[data[0], 200], [data[1], 30], [data[2], 90]]) assert.ok(Math.abs(got - want) <= 25, `${got} vs ${want}`);
});

test('a 16-bit PNG keeps the high byte of each value (TF decode_png to uint8)', async () => {
  const values = new Uint16Array([0x00ff, 0x0100, 0x7fff, 0x8000, 0xffff, 0x1234]);
  const png = await sharp(values, { raw: { width: 2, height: 1, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
  assert.equal((await sharp(png).metadata()).depth, 'ushort');
  assert.deepEqual([...(await decodeImage(png, 'rgb')).data], [0x00, 0x01, 0x7f, 0x80, 0xff, 0x12]);
});

test('an animated GIF gives its first frame', async () => {
  const frames = Buffer.concat([Buffer.alloc(4 * 4 * 4, 0).fill(255, 0, 1), Buffer.alloc(4 * 4 * 4, 255)]);
  for (let i = 0; i < 16; i++) frames.set([255, 0, 0, 255], i * 4);
  const gif = await sharp(frames, { raw: { width: 4, height: 8, channels: 4, pageHeight: 4 } as never }).gif().toBuffer();
  const first = await decodeImage(gif, 'rgb');
  assert.deepEqual([first.width, first.height], [4, 4]);
  assert.deepEqual([...first.data.subarray(0, 3)], [255, 0, 0]);
});

test('the README example: a folder of colour images with a validation split, as Keras prints it', async () => {
  const dir = join(scratch, 'photos');
  for (const [c, n] of [['cats', 6], ['dogs', 4]] as const) {
    mkdirSync(join(dir, c), { recursive: true });
    for (let i = 0; i < n; i++) await writeImage(join(dir, c, `${i}.${i % 2 ? 'jpg' : 'png'}`), 20 + i, 16, i + (c === 'cats' ? 0 : 10), i % 2 ? 'jpeg' : 'png');
  }
  const lines: string[] = [];
  const ds = await imageDatasetFromDirectory(dir, { imageSize: [12, 12], validationSplit: 0.2, seed: 1, onInfo: (l) => lines.push(l), cacheDir });
  assert.deepEqual(lines, ['Found 10 files belonging to 2 classes.', 'Using 8 files for training.', 'Using 2 files for validation.']);
  assert.deepEqual([ds.train.count, ds.test.count], [8, 2]);
  assert.equal(new Set([...ds.trainFiles, ...ds.testFiles]).size, 10, 'no file is in both subsets');
  assert.ok(readFileSync(ds.trainFiles[0]).length > 0);
});
