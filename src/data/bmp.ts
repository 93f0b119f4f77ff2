/**
 * A small BMP decoder (sharp/libvips reads no BMP): uncompressed 1, 4 and 8-bit palette images,
 * 16, 24 and 32-bit images, and BI_BITFIELDS masks. RLE and embedded JPEG/PNG are refused. Every
 * size comes from the file, so each is checked before it is used: a bad or truncated file is a
 * BmpError saying what is wrong, never an out-of-bounds read or a huge allocation.
 * Output is RGBA, 8 bits a channel, rows top to bottom.
 */

export class BmpError extends Error {}

export interface DecodedBmp {
  width: number;
  height: number;
  /** width * height * 4 bytes, RGBA. */
  data: Uint8Array;
}

/** The most pixels accepted, as sharp's default limitInputPixels (0x3fff * 0x3fff). */
export const MAX_BMP_PIXELS = 0x3fff * 0x3fff;

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_BITFIELDS = 3;
const BI_JPEG = 4;
const BI_PNG = 5;
const BI_ALPHABITFIELDS = 6;

interface Mask {
  mask: number;
  shift: number;
  bits: number;
}

function maskOf(mask: number): Mask {
  mask >>>= 0;
  if (mask === 0) return { mask: 0, shift: 0, bits: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  let bits = 0;
  while (shift + bits < 32 && ((mask >>> (shift + bits)) & 1) === 1) bits++;
  if ((mask >>> shift) >>> bits !== 0) throw new BmpError(`a colour mask 0x${mask.toString(16)} is not one run of bits`);
  return { mask, shift, bits };
}

/** A masked field scaled to 0..255 (a 5-bit 31 becomes 255). */
function channel(value: number, m: Mask): number {
  if (m.bits === 0) return 0;
  const v = ((value & m.mask) >>> 0) >>> m.shift;
  if (m.bits >= 8) return v >>> (m.bits - 8);
  return Math.round((v * 255) / ((1 << m.bits) - 1));
}

export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

export function decodeBmp(bytes: Uint8Array): DecodedBmp {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (end: number, what: string) => {
    if (end > bytes.length) throw new BmpError(`the file is truncated: ${what} needs ${end} bytes, the file has ${bytes.length}`);
  };
  if (!isBmp(bytes)) throw new BmpError('not a BMP file (no "BM" signature)');
  need(18, 'the file header');
  const pixelOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  if (![12, 16, 40, 52, 56, 64, 108, 124].includes(headerSize)) throw new BmpError(`unknown BMP header size ${headerSize}`);
  need(14 + headerSize, 'the bitmap header');
  let width: number;
  let rawHeight: number;
  let bpp: number;
  let compression = BI_RGB;
  let colorsUsed = 0;
  const core = headerSize === 12;
  if (core) {
    width = view.getUint16(18, true);
    rawHeight = view.getInt16(20, true);
    bpp = view.getUint16(24, true);
  } else {
    width = view.getInt32(18, true);
    rawHeight = view.getInt32(22, true);
    bpp = view.getUint16(28, true);
    if (headerSize >= 40) {
      compression = view.getUint32(30, true);
      colorsUsed = view.getUint32(46, true);
    }
  }
  if (compression === BI_RLE8 || compression === BI_RLE4) throw new BmpError(`RLE-compressed BMP (${compression === BI_RLE8 ? 'RLE8' : 'RLE4'}) is not supported; save it uncompressed or as PNG`);
  if (compression === BI_JPEG || compression === BI_PNG) throw new BmpError('a BMP holding JPEG or PNG data is not supported; save the image as JPEG or PNG');
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) throw new BmpError(`unknown BMP compression ${compression}`);
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) throw new BmpError(`${bpp} bits per pixel is not a BMP depth this decoder reads (1, 4, 8, 16, 24, 32)`);
  if (compression !== BI_RGB && bpp !== 16 && bpp !== 32) throw new BmpError(`BI_BITFIELDS needs 16 or 32 bits per pixel, this file has ${bpp}`);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0) throw new BmpError(`the image is ${width}x${rawHeight} pixels; both sides must be at least 1`);
  if (width * height > MAX_BMP_PIXELS) throw new BmpError(`the image is ${width}x${height} pixels, more than the ${MAX_BMP_PIXELS} accepted`);

  // Masks: in the V2+ header, or the 12 (16 with alpha) bytes after a 40-byte header.
  let masks: [Mask, Mask, Mask, Mask] | undefined;
  if (bpp === 16 || bpp === 32) {
    if (compression === BI_RGB) {
      masks = bpp === 16 ? [maskOf(0x7c00), maskOf(0x03e0), maskOf(0x001f), maskOf(0)] : [maskOf(0xff0000), maskOf(0xff00), maskOf(0xff), maskOf(0)];
    } else {
      const at = headerSize >= 52 ? 54 : 14 + headerSize;
      const withAlpha = headerSize >= 56 || compression === BI_ALPHABITFIELDS;
      need(at + (withAlpha ? 16 : 12), 'the colour masks');
      masks = [maskOf(view.getUint32(at, true)), maskOf(view.getUint32(at + 4, true)), maskOf(view.getUint32(at + 8, true)), maskOf(withAlpha ? view.getUint32(at + 12, true) : 0)];
    }
  }

  let palette: Uint8Array | undefined;
  if (bpp <= 8) {
    const max = 1 << bpp;
    const count = colorsUsed === 0 ? max : colorsUsed;
    if (count > max) throw new BmpError(`the palette has ${count} colours, more than ${max} for ${bpp} bits per pixel`);
    const entry = core ? 3 : 4;
    const at = 14 + headerSize + (compression === BI_BITFIELDS ? 12 : 0);
    need(at + count * entry, 'the palette');
    palette = new Uint8Array(count * 3);
    for (let i = 0; i < count; i++) {
      palette[i * 3] = bytes[at + i * entry + 2];
      palette[i * 3 + 1] = bytes[at + i * entry + 1];
      palette[i * 3 + 2] = bytes[at + i * entry];
    }
  }

  const stride = Math.floor((width * bpp + 31) / 32) * 4;
  need(pixelOffset + stride * height, `${height} rows of ${stride} bytes from offset ${pixelOffset}`);
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const row = pixelOffset + (topDown ? y : height - 1 - y) * stride;
    let o = y * width * 4;
    for (let x = 0; x < width; x++, o += 4) {
      if (palette) {
        const bit = x * bpp;
        const byte = bytes[row + (bit >> 3)];
        const index = bpp === 8 ? byte : (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        if (index * 3 >= palette.length) throw new BmpError(`pixel (${x}, ${y}) uses colour ${index} of a ${palette.length / 3}-colour palette`);
        out[o] = palette[index * 3];
        out[o + 1] = palette[index * 3 + 1];
        out[o + 2] = palette[index * 3 + 2];
        out[o + 3] = 255;
      } else if (bpp === 24) {
        const p = row + x * 3;
        out[o] = bytes[p + 2];
        out[o + 1] = bytes[p + 1];
        out[o + 2] = bytes[p];
        out[o + 3] = 255;
      } else {
        const value = bpp === 16 ? view.getUint16(row + x * 2, true) : view.getUint32(row + x * 4, true);
        const [r, g, b, a] = masks!;
        out[o] = channel(value, r);
        out[o + 1] = channel(value, g);
        out[o + 2] = channel(value, b);
        out[o + 3] = a.bits ? channel(value, a) : 255;
      }
    }
  }
  return { width, height, data: out };
}
