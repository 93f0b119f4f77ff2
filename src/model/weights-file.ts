/**
 * The cnn weights file: one file with the model config, the weights and, for resuming, the
 * optimizer state and training progress.
 *
 * Byte layout (all integers little-endian):
 *
 *   offset     size  field
 *   0          4     magic "CNNW" (43 4E 4E 57)
 *   4          4     u32 format version (FORMAT_VERSION; a reader refuses newer versions)
 *   8          4     u32 H, byte length of the JSON header
 *   12         4     u32 CRC-32 of the JSON header bytes
 *   16         8     u64 D, byte length of the data block (a multiple of 4)
 *   24         H     JSON header, UTF-8 (see WeightsHeader in weights-file-header.ts)
 *   24+H       P     zero bytes, so the data block starts 4-byte aligned: P = (4 - (24+H) % 4) % 4
 *   A=24+H+P   D     float32 values, little-endian; each tensor at A + its header "offset"
 *   A+D        4     u32 CRC-32 of every byte before it (offsets 0 to A+D-1)
 *
 * The file size is therefore exactly A + D + 4, which is how truncation is told apart from
 * damage. The header CRC lets readWeightsHeader trust the header without reading the data; the
 * final CRC covers everything, so any damaged byte is reported instead of loaded.
 * The file is written to a temporary file and renamed (util/atomic-write.ts).
 */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { endianness } from 'node:os';
import { CnnError } from '../errors.js';
import { crc32 } from '../util/crc32.js';
import { describeFsError, writeFileAtomic } from '../util/atomic-write.js';
import { FileRefused, openRegularFile, readExactly } from '../util/read-regular-file.js';
import { HeaderProblem, shapeSize, validateHeader, type HeaderTensor } from './weights-file-header.js';
import { describeForeignMagic } from './weights-file-sniff.js';

export const WEIGHTS_MAGIC = 'CNNW';
export const FORMAT_VERSION = 1;
/** Size of the fixed part before the JSON header. */
export const PRELUDE_BYTES = 24;
/** Far above any real header; a larger length field means a damaged file, not a big allocation. */
export const MAX_HEADER_BYTES = 64 * 1024 * 1024;
/** The largest file read in one piece (2 GiB - 1, Node's own limit for reading a file whole). */
export const MAX_FILE_BYTES = 2 ** 31 - 1;
export const ERR_WEIGHTS_FILE = 'ERR_WEIGHTS_FILE';

export interface WeightsTensor {
  name: string;
  layer: string;
  shape: number[];
  data: Float32Array;
  trainable?: boolean;
}

export interface WeightsContents {
  /** The model config, any JSON value (non-finite numbers become null, as in JSON). */
  config: unknown;
  tensors: WeightsTensor[];
  optimizer?: { type: string; slots: number; iterations: number; state: WeightsTensor[] };
  /** Epoch, step, seed, history ... any JSON object. */
  training?: Record<string, unknown>;
}

export interface WeightsHeaderInfo {
  config: unknown;
  optimizer?: { type: string; slots: number; iterations: number };
  training?: Record<string, unknown>;
  tensors: { name: string; layer: string; shape: number[]; trainable: boolean }[];
}

const littleEndianHost = endianness() === 'LE';

function weightsError(path: string, problem: string): CnnError {
  return new CnnError(ERR_WEIGHTS_FILE, `${path}: ${problem}`);
}

/** 813512 -> "813,512" (fixed, not locale-dependent). */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Writes the file atomically: the previous file stays intact if anything fails. */
export async function writeWeightsFile(path: string, contents: WeightsContents): Promise<void> {
  const bytes = encodeWeightsFile(contents, path);
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const missingDirectory = code === 'ENOENT' && !(await stat(dirname(path)).then((s) => s.isDirectory(), () => false));
    const reason = missingDirectory ? `the directory ${dirname(path)} does not exist` : describeFsError(error);
    throw weightsError(path, `cannot write: ${reason}`);
  }
}

/** The whole file as bytes. `path` only names the file in error messages. */
export function encodeWeightsFile(contents: WeightsContents, path = 'weights file'): Uint8Array {
  const dataTensors = [...contents.tensors, ...(contents.optimizer?.state ?? [])];
  let dataBytes = 0;
  const describe = (t: WeightsTensor): HeaderTensor => {
    checkTensor(t, path);
    const entry: HeaderTensor = {
      name: t.name,
      layer: t.layer,
      shape: [...t.shape],
      offset: dataBytes,
      trainable: t.trainable ?? true,
    };
    dataBytes += t.data.length * 4;
    return entry;
  };
  const header: Record<string, unknown> = { config: contents.config ?? null, tensors: contents.tensors.map(describe) };
  if (contents.optimizer) {
    const { type, slots, iterations, state } = contents.optimizer;
    header.optimizer = { type, slots, iterations, state: state.map(describe) };
  }
  if (contents.training) header.training = contents.training;

  let json: string;
  try {
    json = JSON.stringify(header);
  } catch (error) {
    throw weightsError(path, `cannot write: the config or training state is not JSON (${(error as Error).message})`);
  }
  const headerBytes = Buffer.from(json, 'utf8');
  if (headerBytes.length > MAX_HEADER_BYTES) {
    throw weightsError(path, `cannot write: the header is ${groupDigits(headerBytes.length)} bytes (at most ${groupDigits(MAX_HEADER_BYTES)})`);
  }
  // Validate what we are about to write with the reader's own checks, so a bad value is refused now.
  try {
    validateHeader(JSON.parse(json), dataBytes);
  } catch (error) {
    if (error instanceof HeaderProblem) throw weightsError(path, `cannot write: ${error.message}`);
    throw error;
  }

  const dataStart = align4(PRELUDE_BYTES + headerBytes.length);
  const total = dataStart + dataBytes + 4;
  const file = Buffer.alloc(total); // zero-filled, so the padding is zero
  file.write(WEIGHTS_MAGIC, 0, 'latin1');
  file.writeUInt32LE(FORMAT_VERSION, 4);
  file.writeUInt32LE(headerBytes.length, 8);
  file.writeUInt32LE(crc32(headerBytes), 12);
  file.writeBigUInt64LE(BigInt(dataBytes), 16);
  headerBytes.copy(file, PRELUDE_BYTES);
  let at = dataStart;
  for (const t of dataTensors) {
    writeFloat32LE(file, at, t.data);
    at += t.data.length * 4;
  }
  file.writeUInt32LE(crc32(file.subarray(0, total - 4)), total - 4);
  return file;
}

function checkTensor(t: WeightsTensor, path: string): void {
  if (!(t.data instanceof Float32Array)) {
    throw weightsError(path, `cannot write: tensor ${t.layer}/${t.name} has no Float32Array data`);
  }
  if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw weightsError(path, `cannot write: tensor ${t.layer}/${t.name} has shape ${JSON.stringify(t.shape)}; expected whole numbers`);
  }
  const expected = shapeSize(t.shape);
  if (expected !== t.data.length) {
    throw weightsError(
      path,
      `cannot write: tensor ${t.layer}/${t.name} has ${groupDigits(t.data.length)} values but shape [${t.shape.join(', ')}] needs ${groupDigits(expected)}`,
    );
  }
}

function writeFloat32LE(target: Buffer, at: number, values: Float32Array): void {
  if (littleEndianHost) {
    target.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), at);
  } else {
    for (let i = 0; i < values.length; i++) target.writeFloatLE(values[i], at + i * 4);
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Reads and checks the whole file. Every problem is a CnnError naming the file. Only a regular file
 * is read (not a FIFO or a device), and only as many bytes as its prelude says it has.
 */
export async function readWeightsFile(path: string): Promise<WeightsContents> {
  const opened = await openWeights(path);
  try {
    const { handle, size } = opened;
    const prelude = Buffer.alloc(Math.min(size, PRELUDE_BYTES));
    await readExactly(handle, prelude, 0);
    const layout = checkPrelude(prelude, size, path);
    const total = layout.dataStart + layout.dataBytes + 4;
    if (total > MAX_FILE_BYTES) throw weightsError(path, 'too large to load in one piece');
    const bytes = Buffer.alloc(total);
    await readExactly(handle, bytes, 0);
    return decodeWeightsFile(bytes, path);
  } catch (error) {
    if (error instanceof CnnError) throw error;
    throw weightsError(path, readFailure(error));
  } finally {
    await opened.handle.close().catch(() => {});
  }
}

async function openWeights(path: string): Promise<Awaited<ReturnType<typeof openRegularFile>>> {
  try {
    return await openRegularFile(path);
  } catch (error) {
    throw weightsError(path, readFailure(error));
  }
}

/** Reads only the prelude and the header (not the tensors); still checks sizes and the header CRC. */
export async function readWeightsHeader(path: string): Promise<WeightsHeaderInfo> {
  const opened = await openWeights(path);
  try {
    const { handle, size } = opened;
    const prelude = Buffer.alloc(Math.min(size, PRELUDE_BYTES));
    await readExactly(handle, prelude, 0);
    const layout = checkPrelude(prelude, size, path);
    const headerBytes = Buffer.alloc(layout.headerBytes);
    await readExactly(handle, headerBytes, PRELUDE_BYTES);
    const header = parseHeader(headerBytes, layout, path);
    return {
      config: header.config,
      ...(header.optimizer && {
        optimizer: { type: header.optimizer.type, slots: header.optimizer.slots, iterations: header.optimizer.iterations },
      }),
      ...(header.training && { training: header.training }),
      tensors: header.tensors.map(({ name, layer, shape, trainable }) => ({ name, layer, shape, trainable })),
    };
  } catch (error) {
    if (error instanceof CnnError) throw error;
    throw weightsError(path, readFailure(error));
  } finally {
    await opened.handle.close().catch(() => {});
  }
}

/** Decodes a whole file already in memory. `path` only names the file in error messages. */
export function decodeWeightsFile(bytes: Uint8Array, path = 'weights file'): WeightsContents {
  const layout = checkPrelude(bytes, bytes.length, path);
  const total = layout.dataStart + layout.dataBytes + 4;
  const headerBytes = bytes.subarray(PRELUDE_BYTES, PRELUDE_BYTES + layout.headerBytes);
  const header = parseHeader(headerBytes, layout, path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (crc32(bytes.subarray(0, total - 4)) !== view.getUint32(total - 4, true)) {
    throw weightsError(path, 'checksum mismatch: the file is damaged');
  }
  const tensor = (t: HeaderTensor): WeightsTensor => ({
    name: t.name,
    layer: t.layer,
    shape: t.shape,
    data: readFloat32LE(bytes, layout.dataStart + t.offset, shapeSize(t.shape)),
    trainable: t.trainable,
  });
  const contents: WeightsContents = { config: header.config, tensors: header.tensors.map(tensor) };
  for (const t of contents.tensors) checkFinite(t, path);
  if (header.optimizer) {
    const { type, slots, iterations, state } = header.optimizer;
    contents.optimizer = { type, slots, iterations, state: state.map(tensor) };
  }
  if (header.training) contents.training = header.training;
  return contents;
}

interface Layout {
  headerBytes: number;
  headerCrc: number;
  dataStart: number;
  dataBytes: number;
}

/** Checks the 24-byte prelude against the file's real size; `head` may be just the prelude. */
function checkPrelude(head: Uint8Array, fileSize: number, path: string): Layout {
  if (fileSize === 0) throw weightsError(path, 'empty file (0 bytes): not a cnn weights file');
  if (fileSize < 4) throw weightsError(path, `not a cnn weights file (only ${fileSize} bytes)`);
  const magic = String.fromCharCode(head[0], head[1], head[2], head[3]);
  if (magic !== WEIGHTS_MAGIC) throw weightsError(path, `not a cnn weights file (${describeForeignMagic(head)})`);
  if (fileSize < PRELUDE_BYTES) {
    throw weightsError(path, `truncated: expected at least ${PRELUDE_BYTES} bytes, found ${groupDigits(fileSize)}`);
  }
  const view = new DataView(head.buffer, head.byteOffset, PRELUDE_BYTES);
  const version = view.getUint32(4, true);
  if (version > FORMAT_VERSION) {
    throw weightsError(path, `written by a newer cnn (format ${version}; this cnn reads up to ${FORMAT_VERSION})`);
  }
  if (version < 1) throw weightsError(path, `unknown format version ${version}: the file is damaged`);
  const headerBytes = view.getUint32(8, true);
  const headerCrc = view.getUint32(12, true);
  const dataBytesBig = view.getBigUint64(16, true);
  if (headerBytes > MAX_HEADER_BYTES) {
    throw weightsError(path, `header length ${groupDigits(headerBytes)} is impossible: the file is damaged`);
  }
  if (dataBytesBig % 4n !== 0n) {
    throw weightsError(path, `data length ${dataBytesBig} is not a multiple of 4: the file is damaged`);
  }
  const dataStart = align4(PRELUDE_BYTES + headerBytes);
  const expectedBig = BigInt(dataStart) + dataBytesBig + 4n;
  if (expectedBig > BigInt(fileSize)) {
    throw weightsError(path, `truncated: expected ${groupDigits(Number(expectedBig))} bytes, found ${groupDigits(fileSize)}`);
  }
  if (expectedBig < BigInt(fileSize)) {
    throw weightsError(
      path,
      `expected ${groupDigits(Number(expectedBig))} bytes, found ${groupDigits(fileSize)} (extra data at the end): the file is damaged`,
    );
  }
  return { headerBytes, headerCrc, dataStart, dataBytes: Number(dataBytesBig) };
}

function parseHeader(headerBytes: Uint8Array, layout: Layout, path: string) {
  if (crc32(headerBytes) !== layout.headerCrc) throw weightsError(path, 'header checksum mismatch: the file is damaged');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (error) {
    throw weightsError(path, `bad header: ${(error as Error).message}`);
  }
  try {
    return validateHeader(json, layout.dataBytes);
  } catch (error) {
    if (error instanceof HeaderProblem) throw weightsError(path, `bad header: ${error.message}`);
    throw error;
  }
}

/** Copies (the file's bytes may not be 4-byte aligned in memory) and converts from little-endian. */
function readFloat32LE(bytes: Uint8Array, at: number, count: number): Float32Array {
  const values = new Float32Array(count);
  if (littleEndianHost) {
    new Uint8Array(values.buffer).set(bytes.subarray(at, at + count * 4));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, count * 4);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(i * 4, true);
  }
  return values;
}

/**
 * Weights that hold NaN or Infinity give meaningless outputs (and an exit status 0 for a useless
 * evaluation): refuse them, naming the tensor and the first bad value. Training never writes such a
 * file (a diverging run stops and keeps the last finite weights), so this is damage or a hand edit.
 */
function checkFinite(t: WeightsTensor, path: string): void {
  const values = t.data;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) {
      const what = Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
      throw weightsError(
        path,
        `tensor ${t.name} (layer ${t.layer}) holds ${what} at index ${i} of its ${groupDigits(values.length)} values; the weights are not usable`,
      );
    }
  }
}

function readFailure(error: unknown): string {
  if (error instanceof FileRefused) return error.message;
  const code = (error as { code?: string }).code;
  if (code === 'ERR_FS_FILE_TOO_LARGE') return 'too large to load in one piece';
  return describeFsError(error);
}
