/**
 * Rewrites a cnn weights file's JSON header or data in place of the writer, which refuses bad
 * values: tests use it to make the damaged or hand-edited files the reader must refuse. The CRCs
 * are recomputed, so only the checks under test see the change.
 */
import { crc32 } from '../../src/util/crc32.js';

function align4(n: number): number {
  return (n + 3) & ~3;
}

export interface WeightsParts {
  header: Record<string, unknown>;
  data: Buffer;
}

export function splitWeights(bytes: Uint8Array): WeightsParts {
  const b = Buffer.from(bytes);
  const headerBytes = b.readUInt32LE(8);
  const dataBytes = Number(b.readBigUInt64LE(16));
  const header = JSON.parse(b.subarray(24, 24 + headerBytes).toString('utf8')) as Record<string, unknown>;
  const start = align4(24 + headerBytes);
  return { header, data: Buffer.from(b.subarray(start, start + dataBytes)) };
}

/** A weights file with this header text and data block, both CRCs right. */
export function joinWeights(header: Record<string, unknown> | string, data: Uint8Array): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const start = align4(24 + json.length);
  const total = start + data.length + 4;
  const file = Buffer.alloc(total);
  file.write('CNNW', 0, 'latin1');
  file.writeUInt32LE(1, 4);
  file.writeUInt32LE(json.length, 8);
  file.writeUInt32LE(crc32(json), 12);
  file.writeBigUInt64LE(BigInt(data.length), 16);
  json.copy(file, 24);
  Buffer.from(data).copy(file, start);
  file.writeUInt32LE(crc32(file.subarray(0, total - 4)), total - 4);
  return file;
}

/** The same file with its header changed in place by `edit` (what it returns is ignored). */
export function editWeightsHeader(bytes: Uint8Array, edit: (header: Record<string, unknown>) => unknown): Buffer {
  const { header, data } = splitWeights(bytes);
  edit(header);
  return joinWeights(header, data);
}
