/**
 * The decoded-pixel cache of a folder dataset, like Keras's dataset.cache(): after the first load the
 * resized pixels of every file are kept in `$CNN_HOME/datasets/folders/<name>.pixels`, so a second
 * run decodes nothing. <name> is a hash of the folder and the decoding options; the file's header
 * holds a hash of every image's path, size and mtime too, so any added, removed or changed image
 * makes the cache stale and it is rebuilt (and replaced, atomically: a crash never leaves a
 * half-written cache under its name).
 */
import { createHash } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { resolveCache } from './cache.js';
import type { IndexedFile } from './folder-index.js';

const MAGIC = 'CNNPIX01';

export interface CacheKeyParts {
  directory: string;
  classNames: readonly string[];
  colorMode: string;
  imageSize: readonly [number, number];
  resize: string;
  files: readonly IndexedFile[];
}

export interface CacheSlot {
  path: string;
  /** Hash of the file list (names, sizes, mtimes): the cache is valid only for exactly these files. */
  contentKey: string;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function cacheSlot(parts: CacheKeyParts, cacheDir?: string): CacheSlot {
  const setup = sha256(JSON.stringify({ v: 1, d: parts.directory, c: parts.classNames, m: parts.colorMode, s: parts.imageSize, r: parts.resize }));
  const content = createHash('sha256');
  content.update(setup);
  for (const f of parts.files) content.update(`${f.relPath}\0${f.label}\0${f.size}\0${f.mtimeMs}\n`);
  return { path: join(resolveCache(cacheDir).root, 'folders', `${setup.slice(0, 32)}.pixels`), contentKey: content.digest('hex') };
}

/** The cached pixels when the cache matches `slot` and holds exactly `bytes` bytes of them; else undefined. */
export async function readPixelCache(slot: CacheSlot, bytes: number): Promise<Uint8Array | undefined> {
  const handle = await open(slot.path, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const head = Buffer.alloc(8 + 64);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (bytesRead !== head.length || head.toString('latin1', 0, 8) !== MAGIC || head.toString('latin1', 8) !== slot.contentKey) return undefined;
    const { size } = await handle.stat();
    if (size !== head.length + bytes) return undefined;
    const pixels = new Uint8Array(bytes);
    let at = 0;
    while (at < bytes) {
      const r = await handle.read(pixels, at, Math.min(bytes - at, 1 << 30), head.length + at);
      if (r.bytesRead === 0) return undefined;
      at += r.bytesRead;
    }
    return pixels;
  } finally {
    await handle.close();
  }
}

/** Stores the pixels; a cache that cannot be written is not an error (the caller says why, once). */
export async function writePixelCache(slot: CacheSlot, pixels: Uint8Array): Promise<void> {
  await mkdir(join(slot.path, '..'), { recursive: true });
  await writeFileAtomic(slot.path, [Buffer.from(MAGIC + slot.contentKey, 'latin1'), pixels]);
}
