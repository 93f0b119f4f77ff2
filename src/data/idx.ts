/**
 * The IDX format of MNIST and its relatives: a 4-byte magic (0, 0, type, number of dimensions), one
 * big-endian uint32 per dimension, then the values. We read unsigned bytes (type 0x08) only, which is
 * what every MNIST-like dataset uses; anything else is named as the problem rather than misread.
 * Files may be raw or gzip-compressed (detected by content, not by name).
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { CnnError } from '../errors.js';

export interface IdxArray {
  dims: number[];
  /** A view into the file's buffer: no copy, so a 47 MB image file costs 47 MB. */
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;
const TYPE_NAMES: Record<number, string> = { 0x08: 'uint8', 0x09: 'int8', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

export function idxFormatError(file: string, problem: string): CnnError {
  return new CnnError('ERR_IDX_FORMAT', `${file} is not a valid IDX file: ${problem}`);
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Parses an IDX buffer (raw or gzip). `file` is only used to name the file in errors. */
export function parseIdx(buffer: Uint8Array, file: string): IdxArray {
  let bytes = buffer;
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw idxFormatError(file, `it looks gzip-compressed but does not decompress (${(e as Error).message})`);
    }
  }
  if (bytes.length < 4) throw idxFormatError(file, `it is ${bytes.length} bytes long, shorter than the 4-byte header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw idxFormatError(file, `bad magic number ${magic} (an IDX file starts with 00 00 08 NN)`);
  }
  const type = bytes[2];
  if (type !== UNSIGNED_BYTE) {
    const name = TYPE_NAMES[type] ?? `unknown type 0x${type.toString(16)}`;
    throw idxFormatError(file, `its values are ${name}; only uint8 (type 0x08) is supported`);
  }
  const rank = bytes[3];
  if (rank < 1 || rank > 4) throw idxFormatError(file, `it has ${rank} dimensions; expected 1 (labels) to 4 (images with channels)`);
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) {
    throw idxFormatError(file, `it is ${bytes.length} bytes long, shorter than its ${headerLength}-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0) throw idxFormatError(file, `dimension ${i} is 0`);
    dims.push(d);
  }
  const valueCount = dims.reduce((a, b) => a * b, 1);
  const expected = headerLength + valueCount;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'truncated' : 'longer than its header says';
    throw idxFormatError(
      file,
      `it is ${what}: dimensions ${dims.join('x')} need ${expected} bytes, the file has ${bytes.length}`,
    );
  }
  return { dims, data: bytes.subarray(headerLength) };
}

export async function readIdxFile(path: string): Promise<IdxArray> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (e) {
    throw new CnnError('ERR_IDX_FORMAT', `cannot read IDX file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseIdx(buffer, path);
}

/** Writes uint8 values with an IDX header: used to make fixtures and small datasets. */
export function encodeIdx(dims: number[], data: ArrayLike<number>): Buffer {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`encodeIdx: dims ${dims.join('x')} need ${count} values, got ${data.length}`);
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = UNSIGNED_BYTE;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(Uint8Array.from(data))]);
}
