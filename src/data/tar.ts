/**
 * A small streaming reader of tar archives (POSIX ustar and GNU tar, the forms `tar czf` writes):
 * enough to take known members out of a dataset archive such as CIFAR-10's. It never writes
 * anything itself and never uses a member's name as a path: the caller decides, by name, which
 * entries it wants and where their bytes go. Anything malformed (a header whose checksum fails, a
 * size that is not octal, an archive that ends inside an entry or without its end marker) is
 * refused with a message naming the archive, the entry and the byte offset.
 */

const BLOCK = 512;

export type TarEntryType = 'file' | 'directory' | 'symbolic link' | 'hard link' | 'device' | 'fifo' | 'other';

export interface TarEntry {
  /** The member's path inside the archive, "./" prefixes removed. */
  name: string;
  size: number;
  type: TarEntryType;
}

/** Where a wanted entry's bytes go; a rejected promise stops the reading. */
export interface TarSink {
  write(chunk: Buffer): Promise<void> | void;
  end(): Promise<void> | void;
}

export interface TarReadOptions {
  /** The archive's name, for messages. */
  archive: string;
  /** Refuse an archive whose (uncompressed) tar stream is longer: a bound on what reading can cost. */
  maxBytes: number;
  /** Called for each entry: a sink to receive its bytes, or undefined to skip them. */
  onEntry(entry: TarEntry): TarSink | undefined | Promise<TarSink | undefined>;
}

export class TarFormatError extends Error {}

function typeOf(flag: number): TarEntryType {
  switch (String.fromCharCode(flag)) {
    case '0':
    case '\0':
    case '7':
      return 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symbolic link';
    case '1':
      return 'hard link';
    case '3':
    case '4':
      return 'device';
    case '6':
      return 'fifo';
    default:
      return 'other';
  }
}

/** A NUL- or space-terminated octal field; undefined when it is not one. */
function octal(block: Buffer, offset: number, length: number): number | undefined {
  const text = block.toString('latin1', offset, offset + length).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (!/^[0-7]{1,12}$/.test(text)) return undefined;
  return parseInt(text, 8);
}

function text(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.toString('utf8', 0, end < 0 ? field.length : end);
}

function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** Both sums tar implementations have used: bytes as unsigned and as signed, the checksum field as spaces. */
function checksums(block: Buffer): [number, number] {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return [unsigned, signed];
}

/** The values of a pax extended header ("<len> key=value\n" records) that matter here: path and size. */
function parsePax(data: Buffer, where: string): { path?: string; size?: number } {
  const out: { path?: string; size?: number } = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = space < 0 ? NaN : Number(data.toString('latin1', at, space));
    if (!Number.isInteger(length) || length <= 0 || at + length > data.length) throw new TarFormatError(`${where}: a malformed pax extended header`);
    const record = data.toString('utf8', space + 1, at + length - 1);
    const eq = record.indexOf('=');
    if (eq < 0) throw new TarFormatError(`${where}: a malformed pax extended header`);
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') out.path = value;
    if (key === 'size') {
      if (!/^\d{1,15}$/.test(value)) throw new TarFormatError(`${where}: a pax size of ${JSON.stringify(value)} is not a number`);
      out.size = Number(value);
    }
    at += length;
  }
  return out;
}

function normalName(name: string): string {
  return name.replace(/^(\.\/)+/, '');
}

/** Buffers the decompressed stream into whole blocks and hands out exactly the bytes asked for. */
class ByteQueue {
  private chunks: Buffer[] = [];
  private length = 0;
  constructor(private readonly source: AsyncIterator<Uint8Array>) {}
  offset = 0;

  /** Fills the queue to at least `n` bytes; false when the stream ends first. */
  private async fill(n: number): Promise<boolean> {
    while (this.length < n) {
      const next = await this.source.next();
      if (next.done) return false;
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      if (chunk.length === 0) continue;
      this.chunks.push(chunk);
      this.length += chunk.length;
    }
    return true;
  }

  /** Exactly `n` bytes, or undefined when fewer remain. */
  async take(n: number): Promise<Buffer | undefined> {
    if (!(await this.fill(n))) return undefined;
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
    this.offset += n;
    return out;
  }

  /** Up to `max` bytes (at least one), or undefined at the end of the stream. */
  async some(max: number): Promise<Buffer | undefined> {
    if (!(await this.fill(1))) return undefined;
    return this.take(Math.min(max, this.length));
  }
}

/**
 * Reads a tar stream (already decompressed) entry by entry, handing each wanted entry's bytes to its
 * sink. Resolves after the end-of-archive marker; rejects with a TarFormatError naming the problem.
 */
export async function readTar(source: AsyncIterable<Uint8Array>, options: TarReadOptions): Promise<void> {
  const queue = new ByteQueue(source[Symbol.asyncIterator]());
  const { archive } = options;
  let longName: string | undefined;
  let pax: { path?: string; size?: number } = {};
  const checkBound = (needed: number) => {
    if (needed > options.maxBytes) throw new TarFormatError(`${archive} holds more than the ${options.maxBytes} bytes expected of it`);
  };
  for (;;) {
    const at = queue.offset;
    checkBound(at + BLOCK);
    const header = await queue.take(BLOCK);
    if (!header) {
      throw new TarFormatError(at === 0 ? `${archive} is empty: not a tar archive` : `${archive} is truncated: it ends at byte ${at} without the end-of-archive marker`);
    }
    if (isZeroBlock(header)) {
      const second = await queue.take(BLOCK);
      if (!second || !isZeroBlock(second)) throw new TarFormatError(`${archive}: a lone zero block at byte ${at} (truncated or damaged)`);
      return;
    }
    const magic = header.toString('latin1', 257, 263);
    const posix = magic === 'ustar\0';
    if (!posix && magic !== 'ustar ') {
      throw new TarFormatError(`${archive}: the header at byte ${at} is not a ustar header (magic ${JSON.stringify(magic)}): not a tar archive, or damaged`);
    }
    const stored = octal(header, 148, 8);
    const [unsigned, signed] = checksums(header);
    if (stored === undefined || (stored !== unsigned && stored !== signed)) {
      throw new TarFormatError(`${archive}: the header at byte ${at} fails its checksum (damaged)`);
    }
    const rawName = text(header, 0, 100);
    const prefix = posix ? text(header, 345, 155) : '';
    const headerName = longName ?? pax.path ?? (prefix ? `${prefix}/${rawName}` : rawName);
    const sizeField = header[124] & 0x80 ? undefined : octal(header, 124, 12);
    if (sizeField === undefined) throw new TarFormatError(`${archive}: the entry ${JSON.stringify(headerName)} at byte ${at} has no valid size`);
    const flag = String.fromCharCode(header[156]);
    const size = pax.size ?? sizeField;
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    checkBound(queue.offset + padded);
    const where = `${archive}: entry ${JSON.stringify(headerName)} at byte ${at}`;

    // Headers that describe the next entry: GNU long names and pax extended headers.
    if (flag === 'L' || flag === 'x' || flag === 'g') {
      if (size > 1 << 20) throw new TarFormatError(`${where}: an extended header of ${size} bytes`);
      const data = await queue.take(padded);
      if (!data) throw new TarFormatError(`${archive} is truncated inside the extended header at byte ${at}`);
      if (flag === 'L') longName = normalName(text(data, 0, size));
      else if (flag === 'x') pax = parsePax(data.subarray(0, size), where);
      continue;
    }
    const entry: TarEntry = { name: normalName(headerName), size, type: typeOf(header[156]) };
    longName = undefined;
    pax = {};
    const sink = await options.onEntry(entry);
    let left = size;
    while (left > 0) {
      const chunk = await queue.some(Math.min(left, 1 << 20));
      if (!chunk) throw new TarFormatError(`${archive} is truncated: ${JSON.stringify(entry.name)} should have ${size} bytes, the archive ends after ${size - left}`);
      left -= chunk.length;
      if (sink) await sink.write(chunk);
    }
    if (padded > size && !(await queue.take(padded - size))) {
      throw new TarFormatError(`${archive} is truncated: it ends inside the padding after ${JSON.stringify(entry.name)}`);
    }
    if (sink) await sink.end();
  }
}
