/**
 * The zip container of Keras 3's .keras files: a small writer (stored members, as Keras's zipfile
 * writes them; deflate on request) and a bounded reader. The reader trusts nothing: every offset is checked
 * against the file, a member is inflated to at most its declared size (zlib's maxOutputLength), and
 * its CRC-32 must match, so a damaged or hostile archive gives one clear message, never a huge
 * allocation or a crash. No zip64, encryption or multi-disk archives (Keras writes none for models of
 * the sizes cnn trains).
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { crc32 } from '../util/crc32.js';

const LOCAL_SIG = 0x04034b50;
const CENTRAL_SIG = 0x02014b50;
const END_SIG = 0x06054b50;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
/** 1980-01-01 00:00 in DOS time: a fixed date keeps exports byte-for-byte reproducible. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

export interface ZipMember {
  name: string;
  data: Uint8Array;
}

/** A zip archive of the members, in order: stored, as Keras writes them, or deflated where that helps. */
export function writeZip(members: readonly ZipMember[], deflate = false): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    const deflated = deflate ? deflateRawSync(m.data) : undefined;
    const stored = !deflated || deflated.length >= m.data.length;
    const body = stored ? Buffer.from(m.data) : deflated!;
    const crc = crc32(m.data);
    if (m.data.length >= 0xffffffff || offset + body.length >= 0xffffffff) throw new RangeError(`zip member ${m.name} is too large for a zip without zip64`);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_SIG, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(stored ? METHOD_STORED : METHOD_DEFLATE, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL_SIG, 0);
    central.writeUInt16LE(20, 4); // version made by
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(stored ? METHOD_STORED : METHOD_DEFLATE, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(m.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(0o100644 * 0x10000, 38); // external attributes: a regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const centralSize = centrals.reduce((s, b) => s + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_SIG, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** What is wrong with an archive, in words (the caller adds the file name). */
export class ZipProblem extends Error {}

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  localOffset: number;
}

/** The central directory of an archive held in memory. */
export function listZip(zip: Uint8Array): ZipEntry[] {
  const buf = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  // The end record is in the last 22 + 65535 (longest comment) bytes.
  let end = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === END_SIG) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new ZipProblem('is not a zip archive, or it is truncated (no end-of-archive record)');
  const count = buf.readUInt16LE(end + 10);
  const size = buf.readUInt32LE(end + 12);
  const start = buf.readUInt32LE(end + 16);
  if (start === 0xffffffff || count === 0xffff) throw new ZipProblem('is a zip64 archive, which cnn does not read');
  if (start + size > end) throw new ZipProblem('is truncated or damaged (its directory lies outside the file)');
  const entries: ZipEntry[] = [];
  let at = start;
  for (let k = 0; k < count; k++) {
    if (at + 46 > end || buf.readUInt32LE(at) !== CENTRAL_SIG) throw new ZipProblem(`is damaged (directory entry ${k + 1} of ${count} is unreadable)`);
    const nameLength = buf.readUInt16LE(at + 28);
    const extra = buf.readUInt16LE(at + 30);
    const comment = buf.readUInt16LE(at + 32);
    if (at + 46 + nameLength > end) throw new ZipProblem(`is damaged (directory entry ${k + 1} runs past the directory)`);
    const flags = buf.readUInt16LE(at + 8);
    const name = buf.toString(flags & 0x0800 ? 'utf8' : 'latin1', at + 46, at + 46 + nameLength);
    if (flags & 1) throw new ZipProblem(`member ${name} is encrypted`);
    entries.push({
      name,
      method: buf.readUInt16LE(at + 10),
      crc: buf.readUInt32LE(at + 16),
      compressedSize: buf.readUInt32LE(at + 20),
      size: buf.readUInt32LE(at + 24),
      localOffset: buf.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + extra + comment;
  }
  return entries;
}

/** One member's bytes: never more than its declared size, and only if its CRC-32 matches. */
export function readZipMember(zip: Uint8Array, entry: ZipEntry, maxSize: number): Uint8Array {
  const buf = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  if (entry.size > maxSize) throw new ZipProblem(`member ${entry.name} declares ${entry.size} bytes, more than the ${maxSize} cnn reads`);
  const at = entry.localOffset;
  if (at + 30 > buf.length || buf.readUInt32LE(at) !== LOCAL_SIG) throw new ZipProblem(`is truncated or damaged (member ${entry.name} is not where the directory says)`);
  const dataStart = at + 30 + buf.readUInt16LE(at + 26) + buf.readUInt16LE(at + 28);
  if (dataStart + entry.compressedSize > buf.length) throw new ZipProblem(`is truncated (member ${entry.name} ends past the end of the file)`);
  const body = buf.subarray(dataStart, dataStart + entry.compressedSize);
  let data: Uint8Array;
  if (entry.method === METHOD_STORED) {
    if (entry.compressedSize !== entry.size) throw new ZipProblem(`is damaged (stored member ${entry.name} has two sizes)`);
    data = body;
  } else if (entry.method === METHOD_DEFLATE) {
    try {
      data = inflateRawSync(body, { maxOutputLength: Math.max(1, entry.size) });
    } catch (e) {
      throw new ZipProblem(`is damaged (member ${entry.name} does not inflate to its declared ${entry.size} bytes: ${(e as Error).message})`);
    }
    if (data.length !== entry.size) throw new ZipProblem(`is damaged (member ${entry.name} inflates to ${data.length} bytes, not ${entry.size})`);
  } else {
    throw new ZipProblem(`member ${entry.name} uses compression method ${entry.method}; cnn reads stored and deflated members only`);
  }
  if (crc32(data) !== entry.crc) throw new ZipProblem(`is damaged (member ${entry.name} fails its CRC-32 check)`);
  return data;
}
