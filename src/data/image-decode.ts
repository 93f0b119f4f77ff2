/**
 * One image file to 8-bit pixels with the channels Keras's color_mode asks for, as
 * tf.image.decode_image(channels=...) gives them: PNG, JPEG and the first frame of a GIF through
 * sharp (libvips, on libuv's thread pool), BMP through src/data/bmp.ts. The kind is read from the
 * file's first bytes, as TensorFlow does, not from its extension. Colour rules (what TF does):
 * grey to RGB repeats the grey value; RGBA to RGB drops the alpha (no compositing); colour to grey
 * is libpng's rgb_to_gray with TF's weights 0.299, 0.587 (9797, 19234, 3737)/32768, truncated; a missing alpha is 255. CMYK JPEGs
 * are converted to sRGB by libvips; 16-bit PNGs keep their high byte (TF's uint8 decode_png).
 */
import { loadSharp } from './sharp-lazy.js';
import { BmpError, decodeBmp, isBmp } from './bmp.js';
import { decodeSimplePng } from './png-simple.js';
import type { Pixels } from './image-resize.js';

export type ColorMode = 'grayscale' | 'rgb' | 'rgba';
export const COLOR_MODES: readonly ColorMode[] = ['grayscale', 'rgb', 'rgba'];

export function channelsOf(mode: ColorMode): 1 | 3 | 4 {
  return mode === 'grayscale' ? 1 : mode === 'rgb' ? 3 : 4;
}

export type ImageKind = 'png' | 'jpeg' | 'gif' | 'bmp';

/** What TensorFlow's decode_image would take the bytes for, or undefined (TF: "Unknown image file format"). */
export function sniffImage(bytes: Uint8Array): ImageKind | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 6 && bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46 && bytes[3] === 0x38) return 'gif';
  if (isBmp(bytes)) return 'bmp';
  return undefined;
}

/** A file that cannot be decoded: the reason, for a message the caller completes with the file's path. */
export class ImageDecodeError extends Error {}

/** RGBA of any supported image: 8 bits a channel, or 16 for a 16-bit PNG (converted to 8 bits after the colour conversion, as libpng orders its transforms). */
interface Rgba {
  width: number;
  height: number;
  data: Uint8Array | Uint16Array;
}

async function decodeRgba(bytes: Uint8Array, kind: ImageKind): Promise<Rgba> {
  if (kind === 'bmp') return decodeBmp(bytes);
  if (kind === 'png') {
    const simple = decodeSimplePng(bytes);
    if (simple) return simple;
  }
  // failOn 'error': a truncated or damaged file fails instead of decoding to a partly grey image.
  const sharp = await loadSharp();
  const image = sharp(bytes, { pages: 1, failOn: 'error' });
  const meta = await image.metadata();
  const sixteen = meta.depth === 'ushort';
  const pipeline = image.toColourspace(sixteen ? 'rgb16' : 'srgb').ensureAlpha();
  const { data, info } = await (sixteen ? pipeline.raw({ depth: 'ushort' }) : pipeline.raw()).toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new ImageDecodeError(`decoded to ${info.channels} channels, expected 4`);
  const copy = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  return { width: info.width, height: info.height, data: sixteen ? new Uint16Array(copy) : new Uint8Array(copy) };
}

/** RGBA to the channels of `mode`, 8 bits a channel (a 16-bit value keeps its high byte, as TF's uint8 decode_png). */
function fromRgba(rgba: Rgba, mode: ColorMode): Pixels {
  const n = rgba.width * rgba.height;
  const src = rgba.data;
  const shift = src instanceof Uint16Array ? 8 : 0;
  const c = channelsOf(mode);
  const out = new Uint8Array(n * c);
  if (mode === 'grayscale') {
    for (let i = 0; i < n; i++) {
      const r = src[i * 4];
      const g = src[i * 4 + 1];
      const b = src[i * 4 + 2];
      // libpng's png_do_rgb_to_gray as TF's decode_png(channels=1) sets it up (0.299, 0.587 in
      // libpng's fixed point, truncated); a grey pixel stays exactly itself.
      out[i] = (r === g && g === b ? r : Math.floor((9797 * r + 19234 * g + 3737 * b) / 32768)) >>> shift;
    }
  } else {
    for (let i = 0, j = 0; i < n; i++) for (let k = 0; k < c; k++, j++) out[j] = src[i * 4 + k] >>> shift;
  }
  return { width: rgba.width, height: rgba.height, channels: c, data: out };
}

/**
 * The pixels of the common small PNG, decoded without sharp (src/data/png-simple.ts), or undefined:
 * then decodeImage decodes the file (and words its error if it is damaged).
 */
export function decodeImageInPlace(bytes: Uint8Array, mode: ColorMode): Pixels | undefined {
  if (sniffImage(bytes) !== 'png') return undefined;
  const simple = decodeSimplePng(bytes);
  return simple && fromRgba(simple, mode);
}

/** Decodes one file's bytes to the channels of `mode`; throws ImageDecodeError saying why it cannot. */
export async function decodeImage(bytes: Uint8Array, mode: ColorMode): Promise<Pixels> {
  const kind = sniffImage(bytes);
  if (!kind) {
    throw new ImageDecodeError(bytes.length === 0 ? 'is empty (0 bytes)' : 'is not a PNG, JPEG, GIF or BMP image (its first bytes are none of theirs)');
  }
  try {
    return fromRgba(await decodeRgba(bytes, kind), mode);
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    if (e instanceof BmpError) throw new ImageDecodeError(`is a BMP that cannot be read: ${e.message}`);
    const why = (e as Error).message.split('\n')[0].trim();
    throw new ImageDecodeError(`cannot be decoded as ${kind.toUpperCase()} (${why}): is it damaged or truncated?`);
  }
}
