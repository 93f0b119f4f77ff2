/**
 * The IDX format of MNIST and its relatives: a 4-byte magic (0, 0, type, number of dimensions), one
 * big-endian uint32 per dimension, then the values. We read unsigned bytes (type 0x08) only, which is
 * what every MNIST-like dataset uses; anything else is named as the problem rather than misread.
 * Files may be raw or gzip-compressed (detected by content, not by name).
 */
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { CnnError } from '../errors.js';
import { describeFsError } from '../util/atomic-write.js';
import { FileRefused, openRegularFile, readExactly, type OpenedFile } from '../util/read-regular-file.js';

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

/** The most an IDX file may hold (header and values): Node's limit for reading a file whole. */
export const MAX_IDX_BYTES = 2 ** 31 - 1;

interface IdxHeader {
  dims: number[];
  headerLength: number;
  /** Header plus values: what the whole (uncompressed) file must be. */
  totalLength: number;
}

/**
 * Reads the header from the first bytes of the (uncompressed) file; undefined when `bytes` is too
 * short to hold it and more may come (`complete` false). Everything the header can get wrong is
 * named here, before any value is read.
 */
function parseIdxHeader(bytes: Uint8Array, file: string, complete: boolean): IdxHeader | undefined {
  if (bytes.length < 4) {
    if (!complete) return undefined;
    throw idxFormatError(file, `it is ${bytes.length} bytes long, shorter than the 4-byte header`);
  }
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
    if (!complete) return undefined;
    throw idxFormatError(file, `it is ${bytes.length} bytes long, shorter than its ${headerLength}-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0) throw idxFormatError(file, `dimension ${i} is 0`);
    dims.push(d);
  }
  const totalLength = headerLength + dims.reduce((a, b) => a * b, 1);
  if (totalLength > MAX_IDX_BYTES) {
    throw idxFormatError(file, `dimensions ${dims.join('x')} need ${totalLength} bytes, more than cnn loads (${MAX_IDX_BYTES})`);
  }
  return { dims, headerLength, totalLength };
}

function lengthError(file: string, header: IdxHeader, actual: number, unit = 'the file has'): CnnError {
  const what = actual < header.totalLength ? 'truncated' : 'longer than its header says';
  return idxFormatError(file, `it is ${what}: dimensions ${header.dims.join('x')} need ${header.totalLength} bytes, ${unit} ${actual}`);
}

function notGzip(file: string, e: unknown): CnnError {
  return idxFormatError(file, `it looks gzip-compressed but does not decompress (${(e as Error).message})`);
}

/**
 * The header of a gzip IDX file from the start of its compressed bytes: a few hundred compressed
 * bytes hold it, and inflating a prefix (with a sync flush, so a cut stream is no error) yields at
 * most about a thousand times the prefix, so this never inflates the file itself.
 */
function peekGzipHeader(compressed: Uint8Array, file: string): IdxHeader {
  for (let prefix = 64; ; prefix *= 8) {
    const whole = prefix >= compressed.length;
    let start: Buffer;
    try {
      start = gunzipSync(compressed.subarray(0, prefix), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
      // All of it gave less than a header: a cut stream says so when inflated strictly (tiny here).
      if (whole && start.length < 20) start = gunzipSync(compressed, { maxOutputLength: 64 });
    } catch (e) {
      throw notGzip(file, e);
    }
    const header = parseIdxHeader(start, file, whole);
    if (header) return header;
    if (prefix >= GZIP_PEEK_LIMIT) throw idxFormatError(file, `its gzip stream yields no IDX header in its first ${GZIP_PEEK_LIMIT} bytes`);
  }
}

const GZIP_PEEK_LIMIT = 64 * 1024;

/**
 * Inflates at most the size the header declares: a "gzip bomb" (a few MB that inflate to many GB)
 * stops at that size instead of filling memory, and a stream that ends early is an error.
 */
function inflateIdx(compressed: Uint8Array, header: IdxHeader, file: string): Buffer {
  try {
    const bytes = gunzipSync(compressed, { maxOutputLength: header.totalLength });
    if (bytes.length !== header.totalLength) throw lengthError(file, header, bytes.length, 'its gzip stream holds');
    return bytes;
  } catch (e) {
    if (e instanceof CnnError) throw e;
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw idxFormatError(file, `it is longer than its header says: dimensions ${header.dims.join('x')} need ${header.totalLength} bytes, its gzip stream inflates to more`);
    }
    throw notGzip(file, e);
  }
}

/**
 * The most compressed bytes a gzip file of `total` uncompressed bytes may have: deflate's stored
 * blocks add 5 bytes per 64 KiB, plus the gzip header and trailer. Anything longer is not just
 * this IDX file, and is refused before it is read.
 */
function maxCompressedLength(total: number): number {
  return total + Math.ceil(total / 16384) * 5 + GZIP_PEEK_LIMIT;
}

/** Parses an IDX buffer (raw or gzip). `file` is only used to name the file in errors. */
export function parseIdx(buffer: Uint8Array, file: string): IdxArray {
  if (isGzip(buffer)) {
    const header = peekGzipHeader(buffer, file);
    const bytes = inflateIdx(buffer, header, file);
    return { dims: header.dims, data: bytes.subarray(header.headerLength) };
  }
  const header = parseIdxHeader(buffer, file, true)!;
  if (buffer.length !== header.totalLength) throw lengthError(file, header, buffer.length);
  return { dims: header.dims, data: buffer.subarray(header.headerLength) };
}

function readError(path: string, reason: string): CnnError {
  return new CnnError('ERR_IDX_FORMAT', `cannot read IDX file ${path}: ${reason}`);
}

/**
 * Reads an IDX file (raw or gzip) from disk. Only a regular file is read (a FIFO or /dev/zero is
 * refused, not read forever), and never more than its header says: a raw file's size is checked
 * against the header before its values are read, a gzip file's inflation stops at that size.
 *
 * `maxItems`: the first items only (dims[0] is then the number read, `available` the file's): a raw
 * file is read that far and no further, so `cnn eval` does not read MNIST's 47 MB of training images
 * (0 items: the header alone) and `cnn train --limit 640` reads 640 of them.
 */
export async function readIdxFile(path: string, options: { maxItems?: number } = {}): Promise<IdxArray & { available: number }> {
  let opened: OpenedFile;
  try {
    opened = await openRegularFile(path);
  } catch (e) {
    throw readError(path, (e as Error).message);
  }
  const { handle, size } = opened;
  const first = (header: IdxHeader) => {
    const available = header.dims[0]!;
    const items = Math.min(available, options.maxItems ?? available);
    const itemBytes = available > 0 ? (header.totalLength - header.headerLength) / available : 0;
    return { available, items, bytes: items * itemBytes, dims: [items, ...header.dims.slice(1)] };
  };
  try {
    const head = Buffer.alloc(Math.min(size, GZIP_PEEK_LIMIT));
    await readExactly(handle, head, 0);
    if (isGzip(head)) {
      const header = peekGzipHeader(head, path);
      if (size > maxCompressedLength(header.totalLength)) {
        throw idxFormatError(path, `it is ${size} bytes of gzip data, more than dimensions ${header.dims.join('x')} (${header.totalLength} bytes) can compress to`);
      }
      const part = first(header);
      if (part.items === 0) return { dims: part.dims, data: new Uint8Array(0), available: part.available };
      const compressed = Buffer.alloc(size);
      head.copy(compressed);
      await readExactly(handle, compressed.subarray(head.length), head.length);
      const bytes = inflateIdx(compressed, header, path);
      return { dims: part.dims, data: bytes.subarray(header.headerLength, header.headerLength + part.bytes), available: part.available };
    }
    const header = parseIdxHeader(head, path, true)!;
    if (size !== header.totalLength) throw lengthError(path, header, size);
    const part = first(header);
    const length = header.headerLength + part.bytes;
    const bytes = Buffer.alloc(length);
    head.copy(bytes, 0, 0, Math.min(head.length, length));
    if (length > head.length) await readExactly(handle, bytes.subarray(head.length), head.length);
    return { dims: part.dims, data: bytes.subarray(header.headerLength), available: part.available };
  } catch (e) {
    if (e instanceof CnnError) throw e;
    throw readError(path, e instanceof FileRefused ? e.message : describeFsError(e));
  } finally {
    await handle.close().catch(() => undefined);
  }
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
