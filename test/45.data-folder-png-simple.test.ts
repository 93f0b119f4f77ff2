/**
 * Folder datasets, the in-place PNG decoder (src/data/png-simple.ts): on every PNG it takes it gives
 * exactly the pixels sharp gives, for every colour type and row filter; every PNG it should not take
 * (16-bit, interlaced, transparency key, colour-space chunk, damaged) is left to sharp.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { PNG } from 'pngjs';
import { decodeSimplePng } from '../src/data/png-simple.js';
import { decodeImage } from '../src/data/image-decode.js';
import { crc32 } from '../src/util/crc32.js';

/** What sharp decodes (the pipeline src/data/image-decode.ts uses for everything else). */
async function sharpRgba(bytes: Uint8Array): Promise<Uint8Array> {
  const { data } = await sharp(bytes).toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data);
}

function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    // Smooth runs with noise on top, so each filter type has something to predict.
    out[i] = ((i % 17) * 13 + (s >>> 24) % 9) & 255;
  }
  return out;
}

/** A PNG written by pngjs with one colour type and one row filter. */
function pngjsFile(width: number, height: number, colorType: 0 | 2 | 4 | 6, filterType: number, seed: number): Uint8Array {
  const png = new PNG({ width, height });
  png.data.set(noise(width * height * 4, seed));
  if (colorType === 0 || colorType === 4) {
    for (let i = 0; i < width * height; i++) png.data[i * 4 + 1] = png.data[i * 4 + 2] = png.data[i * 4];
  }
  return new Uint8Array(PNG.sync.write(png, { colorType, filterType, inputHasAlpha: true }));
}

test('every colour type and row filter gives the pixels sharp gives', async () => {
  let taken = 0;
  for (const [w, h] of [[1, 1], [7, 13], [28, 28], [100, 37]]) {
    for (const colorType of [0, 2, 4, 6] as const) {
      for (const filterType of [0, 1, 2, 3, 4]) {
        const bytes = pngjsFile(w, h, colorType, filterType, w * 31 + colorType * 7 + filterType);
        const simple = decodeSimplePng(bytes);
        assert.ok(simple, `${w}x${h} colour type ${colorType} filter ${filterType} is taken`);
        taken++;
        assert.deepEqual([simple.width, simple.height], [w, h]);
        assert.deepEqual(simple.data, await sharpRgba(bytes), `${w}x${h} colour type ${colorType} filter ${filterType}`);
      }
    }
  }
  assert.equal(taken, 80);
});

test('sharp-written PNGs (adaptive filters, palette, grey) give the pixels sharp gives', async () => {
  const rgb = Buffer.from(noise(23 * 19 * 3, 5));
  const raw = { raw: { width: 23, height: 19, channels: 3 as const } };
  const files = {
    adaptive: await sharp(rgb, raw).png({ adaptiveFiltering: true, compressionLevel: 9 }).toBuffer(),
    palette: await sharp(rgb, raw).png({ palette: true, colours: 40 }).toBuffer(),
    grey: await sharp(rgb, raw).greyscale().png().toBuffer(),
  };
  for (const [name, bytes] of Object.entries(files)) {
    const simple = decodeSimplePng(bytes);
    assert.ok(simple, `${name} is taken`);
    assert.deepEqual(simple.data, await sharpRgba(bytes), name);
  }
});

/** A PNG with `extra` chunks inserted after IHDR (each [type, data]). */
function withChunks(bytes: Uint8Array, extra: [string, Uint8Array][]): Uint8Array {
  const chunk = ([type, data]: [string, Uint8Array]) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    Buffer.from(data).copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
    return out;
  };
  const ihdrEnd = 8 + 25;
  return new Uint8Array(Buffer.concat([bytes.subarray(0, ihdrEnd), ...extra.map(chunk), bytes.subarray(ihdrEnd)]));
}

test('16-bit, interlaced, tRNS, gAMA, iCCP, unknown chunks and damaged files are left to sharp', async () => {
  const rgb = Buffer.from(noise(9 * 8 * 3, 9));
  const raw = { raw: { width: 9, height: 8, channels: 3 as const } };
  const plain = new Uint8Array(await sharp(rgb, raw).png().toBuffer());
  assert.ok(decodeSimplePng(plain), 'the plain file is taken');
  const sixteen = await sharp(rgb, raw).toColourspace('rgb16').png().toBuffer();
  const interlaced = await sharp(rgb, raw).png({ progressive: true }).toBuffer();
  const badCrc = plain.slice();
  badCrc[8 + 8 + 5] ^= 1; // a byte of IHDR's data
  const cases: Record<string, Uint8Array> = {
    sixteen,
    interlaced,
    tRNS: withChunks(plain, [['tRNS', new Uint8Array([0, 1, 0, 2, 0, 3])]]),
    gAMA: withChunks(plain, [['gAMA', new Uint8Array([0, 0, 0xb1, 0x8f])]]),
    iCCP: withChunks(plain, [['iCCP', new Uint8Array([0x70, 0, 0, ...deflateSync(Buffer.from('x'))])]]),
    unknown: withChunks(plain, [['zzZz', new Uint8Array([1])]]),
    'bad CRC': badCrc,
    truncated: plain.subarray(0, plain.length - 20),
    'no IEND': plain.subarray(0, plain.length - 12),
  };
  for (const [name, bytes] of Object.entries(cases)) assert.equal(decodeSimplePng(bytes), undefined, name);
  // Through the loader: sharp still decodes what it can and refuses what is damaged.
  assert.equal((await decodeImage(interlaced, 'rgb')).data.length, 9 * 8 * 3);
  await assert.rejects(decodeImage(cases.truncated, 'rgb'), /cannot be decoded as PNG/);
});
