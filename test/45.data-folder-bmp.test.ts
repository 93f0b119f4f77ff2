/**
 * The BMP decoder (sharp reads no BMP): 1, 4 and 8-bit palettes, 16, 24 and 32-bit pixels,
 * BI_BITFIELDS, bottom-up and top-down rows; RLE, truncated files and absurd sizes are refused with
 * a reason, and a folder load names the file.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BmpError, decodeBmp } from '../src/data/bmp.js';
import { imageDatasetFromDirectory } from '../src/index.js';
import { tempDir } from './helpers/image-folder.js';

const scratch = tempDir();
after(() => rmSync(scratch, { recursive: true, force: true }));

interface BmpSpec {
  width: number;
  height: number;
  bpp: number;
  compression?: number;
  palette?: number[][]; // [r, g, b]
  masks?: number[]; // r, g, b (and a)
  rows: number[][]; // each row's bytes, top row first, unpadded
  topDown?: boolean;
}

/** A BMP file with a 40-byte header (masks after it for BI_BITFIELDS), rows padded to 4 bytes. */
function bmp(spec: BmpSpec): Buffer {
  const stride = Math.floor((spec.width * spec.bpp + 31) / 32) * 4;
  const palette = spec.palette ?? [];
  const masks = spec.masks ?? [];
  const offset = 14 + 40 + masks.length * 4 + palette.length * 4;
  const out = Buffer.alloc(offset + stride * spec.height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(spec.width, 18);
  out.writeInt32LE(spec.topDown ? -spec.height : spec.height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(spec.bpp, 28);
  out.writeUInt32LE(spec.compression ?? 0, 30);
  out.writeUInt32LE(palette.length, 46);
  masks.forEach((m, i) => out.writeUInt32LE(m >>> 0, 54 + i * 4));
  palette.forEach(([r, g, b], i) => out.set([b, g, r, 0], 54 + masks.length * 4 + i * 4));
  spec.rows.forEach((row, y) => out.set(row, offset + (spec.topDown ? y : spec.height - 1 - y) * stride));
  return out;
}

function rgbaOf(data: Uint8Array): number[][] {
  const px: number[][] = [];
  for (let i = 0; i < data.length; i += 4) px.push([...data.subarray(i, i + 4)]);
  return px;
}

test('24-bit, bottom-up: BGR bytes become RGBA, rows top to bottom', () => {
  const file = bmp({ width: 2, height: 2, bpp: 24, rows: [[3, 2, 1, 6, 5, 4], [9, 8, 7, 12, 11, 10]] });
  const d = decodeBmp(file);
  assert.deepEqual([d.width, d.height], [2, 2]);
  assert.deepEqual(rgbaOf(d.data), [[1, 2, 3, 255], [4, 5, 6, 255], [7, 8, 9, 255], [10, 11, 12, 255]]);
});

test('8, 4 and 1-bit palettes, top-down', () => {
  const pal = [[255, 0, 0], [0, 255, 0], [0, 0, 255]];
  assert.deepEqual(rgbaOf(decodeBmp(bmp({ width: 3, height: 1, bpp: 8, palette: pal, rows: [[2, 1, 0]], topDown: true })).data), [[0, 0, 255, 255], [0, 255, 0, 255], [255, 0, 0, 255]]);
  assert.deepEqual(rgbaOf(decodeBmp(bmp({ width: 3, height: 1, bpp: 4, palette: pal, rows: [[0x12, 0x00]] })).data), [[0, 255, 0, 255], [0, 0, 255, 255], [255, 0, 0, 255]]);
  assert.deepEqual(rgbaOf(decodeBmp(bmp({ width: 3, height: 1, bpp: 1, palette: pal.slice(0, 2), rows: [[0b10100000]] })).data), [[0, 255, 0, 255], [255, 0, 0, 255], [0, 255, 0, 255]]);
});

test('32-bit BI_BITFIELDS with an alpha mask, 16-bit 5-6-5, and 32-bit BI_RGB (its fourth byte is not alpha)', () => {
  const argb = bmp({ width: 1, height: 1, bpp: 32, compression: 6, masks: [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000], rows: [[30, 20, 10, 128]] });
  assert.deepEqual(rgbaOf(decodeBmp(argb).data), [[10, 20, 30, 128]]);
  const rgb565 = bmp({ width: 1, height: 1, bpp: 16, compression: 3, masks: [0xf800, 0x07e0, 0x001f], rows: [[0x1f, 0xf8]] }); // r=31, g=0, b=31
  assert.deepEqual(rgbaOf(decodeBmp(rgb565).data), [[255, 0, 255, 255]]);
  assert.deepEqual(rgbaOf(decodeBmp(bmp({ width: 1, height: 1, bpp: 32, rows: [[3, 2, 1, 0]] })).data), [[1, 2, 3, 255]]);
});

test('RLE, truncation, a bad palette index, absurd sizes and a bad header are refused with the reason', () => {
  const refuse = (file: Buffer, reason: RegExp) => assert.throws(() => decodeBmp(file), (e: Error) => e instanceof BmpError && reason.test(e.message));
  refuse(bmp({ width: 2, height: 2, bpp: 8, compression: 1, palette: [[0, 0, 0]], rows: [] }), /RLE-compressed BMP \(RLE8\) is not supported/);
  const good = bmp({ width: 4, height: 4, bpp: 24, rows: [] });
  refuse(good.subarray(0, good.length - 5), /the file is truncated: 4 rows of 12 bytes/);
  refuse(good.subarray(0, 20), /the file is truncated: the bitmap header/);
  refuse(bmp({ width: 2, height: 1, bpp: 8, palette: [[0, 0, 0]], rows: [[0, 7]] }), /pixel \(1, 0\) uses colour 7 of a 1-colour palette/);
  const huge = Buffer.from(good);
  huge.writeInt32LE(100000, 18);
  huge.writeInt32LE(100000, 22);
  refuse(huge, /more than the \d+ accepted/);
  const zero = Buffer.from(good);
  zero.writeInt32LE(0, 18);
  refuse(zero, /both sides must be at least 1/);
  const odd = Buffer.from(good);
  odd.writeUInt32LE(33, 14);
  refuse(odd, /unknown BMP header size 33/);
  const deep = Buffer.from(good);
  deep.writeUInt16LE(12, 28);
  refuse(deep, /12 bits per pixel is not a BMP depth/);
});

test('a folder with an RLE BMP stops loading with a message naming the file; a good BMP loads', async () => {
  const dir = join(scratch, 'bmps');
  mkdirSync(join(dir, 'a'), { recursive: true });
  writeFileSync(join(dir, 'a', 'good.bmp'), bmp({ width: 2, height: 2, bpp: 24, rows: [[0, 0, 255, 0, 0, 255], [0, 0, 255, 0, 0, 255]] }));
  const ds = await imageDatasetFromDirectory(dir, { imageSize: 2, cache: false });
  assert.deepEqual([...ds.train.images.subarray(0, 3)], [255, 0, 0]);
  writeFileSync(join(dir, 'a', 'rle.BMP'), bmp({ width: 2, height: 2, bpp: 8, compression: 1, palette: [[0, 0, 0]], rows: [] }));
  await assert.rejects(imageDatasetFromDirectory(dir, { imageSize: 2, cache: false }), (e: Error) => {
    assert.equal(e.message, `${join(dir, 'a', 'rle.BMP')} is a BMP that cannot be read: RLE-compressed BMP (RLE8) is not supported; save it uncompressed or as PNG; fix or remove it (no image of the folder was used)`);
    return true;
  });
});
