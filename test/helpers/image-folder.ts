/**
 * Test images for the folder-dataset tests, made with sharp in a temp dir: noisy coloured pictures
 * of odd sizes as PNG and JPEG, class folders with Keras's awkward cases (names that sort by code
 * point, a nested folder, an uppercase extension, a text file, an empty class), a grey PNG and a
 * 16-bit PNG.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

/** Deterministic noisy RGB pixels with a coloured square on them. */
export function noisyRgb(width: number, height: number, seed: number): Buffer {
  const raw = Buffer.alloc(width * height * 3);
  let s = seed * 2654435761 + 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const noise = (s >>> 24) & 63;
      const inside = x > width / 4 && x < (3 * width) / 4 && y > height / 4 && y < (3 * height) / 4;
      const o = (y * width + x) * 3;
      raw[o] = inside ? 200 + (noise >> 2) : noise;
      raw[o + 1] = inside ? (seed * 40) & 255 : 90 + noise;
      raw[o + 2] = inside ? 30 + noise : 180 - noise;
    }
  }
  return raw;
}

export async function writeImage(path: string, width: number, height: number, seed: number, format: 'png' | 'jpeg'): Promise<void> {
  const img = sharp(noisyRgb(width, height, seed), { raw: { width, height, channels: 3 } });
  writeFileSync(path, await (format === 'png' ? img.png() : img.jpeg({ quality: 90 })).toBuffer());
}

export function tempDir(prefix = 'cnn-folder-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A folder of 6 classes (plus an empty one) with 6 images each (PNG; JPEG too when `jpeg`), sizes
 * from 7 to 31 pixels, one in a nested folder, one with an uppercase .PNG, a readme.txt in each
 * class, a grey PNG and a 16-bit PNG in class "a". Returns the folder.
 */
export async function makeClassFolders(dir: string, options: { jpeg?: boolean } = {}): Promise<string> {
  const classes = ['b', 'B', 'a_1', 'a', 'é', 'Z'];
  let k = 0;
  for (const c of [...classes, 'empty']) mkdirSync(join(dir, c, 'sub'), { recursive: true });
  for (const c of classes) {
    for (let i = 0; i < 6; i++) {
      const w = 9 + ((k * 7) % 23);
      const h = 7 + ((k * 5) % 19);
      k++;
      const jpeg = options.jpeg && i === 1;
      const name = i === 5 ? join('sub', `x${i}.png`) : `${i === 2 ? 'I' : 'i'}${i * 3}.${jpeg ? 'jpg' : i === 4 ? 'PNG' : 'png'}`;
      await writeImage(join(dir, c, name), w, h, k, jpeg ? 'jpeg' : 'png');
    }
    writeFileSync(join(dir, c, 'readme.txt'), 'not an image: skipped');
  }
  const grey = Buffer.alloc(12 * 10);
  for (let p = 0; p < grey.length; p++) grey[p] = (p * 13) & 255;
  writeFileSync(join(dir, 'a', 'grey.png'), await sharp(grey, { raw: { width: 12, height: 10, channels: 1 } }).png().toBuffer());
  const deep = new Uint16Array(8 * 6 * 3);
  for (let p = 0; p < deep.length; p++) deep[p] = (p * 2039 + 255) & 65535;
  writeFileSync(join(dir, 'a', 'deep.png'), await sharp(deep, { raw: { width: 8, height: 6, channels: 3 } }).toColourspace('rgb16').png().toBuffer());
  return dir;
}
