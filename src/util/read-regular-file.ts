/**
 * Reading files that come from outside (configs, weights files, IDX files, TensorFlow.js models)
 * without trusting the path: it must name a regular file. A FIFO, /dev/zero or a terminal would
 * otherwise block or read forever, and a directory gives a confusing "EISDIR". The file is opened
 * with O_NONBLOCK (so opening a FIFO does not wait for a writer) and checked with fstat on the open
 * descriptor, so what is checked is what is read; no more than its size at that moment (and no
 * more than the caller's limit) is ever read.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { describeFsError } from './atomic-write.js';

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Why a path cannot be read as a file: a plain Error whose message completes "<path>: ...". */
export class FileRefused extends Error {}

/** "a directory", "a FIFO (named pipe)" ... for anything that is not a regular file; undefined for one. */
export function describeNonRegular(stats: Stats): string | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function refusedKind(kind: string): FileRefused {
  return new FileRefused(`is ${kind}, not a regular file`);
}

function tooLarge(size: number, maxBytes: number): FileRefused {
  return new FileRefused(`is ${size} bytes, more than the ${maxBytes} bytes cnn reads for it`);
}

export interface OpenedFile {
  handle: FileHandle;
  size: number;
}

/** Opens a regular file for reading; throws FileRefused for anything else (its handle closed). */
export async function openRegularFile(path: string): Promise<OpenedFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (e) {
    throw new FileRefused(describeFsError(e));
  }
  try {
    const stats = await handle.stat();
    const kind = describeNonRegular(stats);
    if (kind) throw refusedKind(kind);
    return { handle, size: stats.size };
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw e instanceof FileRefused ? e : new FileRefused(describeFsError(e));
  }
}

/** Reads exactly target.length bytes at `position`; a file that shrank meanwhile is refused. */
export async function readExactly(handle: FileHandle, target: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await handle.read(target, done, target.length - done, position + done);
    if (bytesRead === 0) throw new FileRefused('shrank while being read');
    done += bytesRead;
  }
}

/** The whole of a regular file of at most maxBytes bytes. Throws FileRefused. */
export async function readRegularFile(path: string, maxBytes: number): Promise<Buffer> {
  const { handle, size } = await openRegularFile(path);
  try {
    if (size > maxBytes) throw tooLarge(size, maxBytes);
    const bytes = Buffer.alloc(size);
    await readExactly(handle, bytes, 0);
    return bytes;
  } catch (e) {
    throw e instanceof FileRefused ? e : new FileRefused(describeFsError(e));
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** readRegularFile for synchronous callers (config loading). */
export function readRegularFileSync(path: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (e) {
    throw new FileRefused(describeFsError(e));
  }
  try {
    const stats = fstatSync(fd);
    const kind = describeNonRegular(stats);
    if (kind) throw refusedKind(kind);
    if (stats.size > maxBytes) throw tooLarge(stats.size, maxBytes);
    const bytes = Buffer.alloc(stats.size);
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(fd, bytes, done, bytes.length - done, done);
      if (n === 0) throw new FileRefused('shrank while being read');
      done += n;
    }
    return bytes;
  } catch (e) {
    throw e instanceof FileRefused ? e : new FileRefused(describeFsError(e));
  } finally {
    closeSync(fd);
  }
}
