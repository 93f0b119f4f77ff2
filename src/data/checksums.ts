/**
 * SHA-256 checks of dataset files. A file is hashed at most once per process while its size and
 * modification time stay the same: hashing MNIST's 55 MB costs ~100 ms, paid once, not per load.
 *
 * Across processes, a cached file that passed its check gets a stamp beside it
 * (`<file>.verified`: its size, inode, modification and change times and the hash it matched), and a
 * load (not `cnn data verify`, which always hashes) trusts a stamp that still matches the file: every
 * write, rename over, truncation or `touch` changes the change time, which no program can set back, so
 * only damage below the file system (the disk itself) goes unseen, as in git's index. Reading and
 * hashing the 55 MB again was about half of what `cnn eval` or `cnn data show` spent on MNIST.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import type { PinnedFile } from './registry.js';

export type FileCheck =
  | { ok: true; path: string }
  | { ok: false; path: string; missing: boolean; reason: string };

const verifiedThisProcess = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function short(sha: string): string {
  return sha.slice(0, 12);
}

interface Stamp {
  size: number;
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
  sha256: string;
}

const stampPath = (path: string) => `${path}.verified`;
const stampOf = (info: Stats, sha256: string): Stamp => ({ size: info.size, ino: info.ino, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, sha256 });

async function stampMatches(path: string, info: Stats, expected: PinnedFile): Promise<boolean> {
  try {
    const stamp = JSON.parse(await readFile(stampPath(path), 'utf8')) as Partial<Stamp>;
    const now = stampOf(info, expected.sha256);
    return (Object.keys(now) as (keyof Stamp)[]).every((k) => stamp[k] === now[k]);
  } catch {
    return false; // no stamp, or one that is not ours: hash the file
  }
}

/** Best effort: a cache that cannot hold the stamp is hashed at every load, as before. */
async function writeStamp(path: string, info: Stats, sha256: string): Promise<void> {
  const temp = `${stampPath(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(stampOf(info, sha256)));
    await rename(temp, stampPath(path));
  } catch {
    await unlink(temp).catch(() => undefined);
  }
}

/**
 * Checks a file against its pinned size and hash; never throws for a missing or unreadable file.
 * `useStamp`: trust (and leave) the stamp of an earlier check in another process; for loads of the
 * cache, not for `cnn data verify`.
 */
export async function checkFile(path: string, expected: PinnedFile, options: { useStamp?: boolean } = {}): Promise<FileCheck> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, path, missing: code === 'ENOENT', reason: code === 'ENOENT' ? 'not there' : `cannot read it (${code})` };
  }
  if (!info.isFile()) return { ok: false, path, missing: false, reason: 'not a regular file' };
  if (info.size !== expected.size) {
    return { ok: false, path, missing: false, reason: `size is ${info.size} bytes, expected ${expected.size}` };
  }
  const memo = verifiedThisProcess.get(path);
  if (memo && memo.size === info.size && memo.mtimeMs === info.mtimeMs && memo.sha256 === expected.sha256) {
    return { ok: true, path };
  }
  if (options.useStamp && (await stampMatches(path, info, expected))) {
    rememberVerified(path, info.size, info.mtimeMs, expected.sha256);
    return { ok: true, path };
  }
  let actual: string;
  try {
    actual = await sha256File(path);
  } catch (e) {
    return { ok: false, path, missing: false, reason: `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  if (actual !== expected.sha256) {
    return { ok: false, path, missing: false, reason: `SHA-256 is ${short(actual)}..., expected ${short(expected.sha256)}...` };
  }
  rememberVerified(path, info.size, info.mtimeMs, actual);
  if (options.useStamp) await writeStamp(path, info, actual);
  return { ok: true, path };
}

/**
 * A file just written and checked while it was written (a download, a copy from a local folder):
 * trusted for the rest of this process and stamped for the next one, so its first load hashes nothing.
 */
export async function recordVerified(path: string, sha256: string): Promise<void> {
  const info = await stat(path);
  rememberVerified(path, info.size, info.mtimeMs, sha256);
  await writeStamp(path, info, sha256);
}

/** The stamp of a file that is being removed (an archive after its extraction). */
export async function removeStamp(path: string): Promise<void> {
  verifiedThisProcess.delete(path);
  await unlink(stampPath(path)).catch(() => undefined);
}

export function rememberVerified(path: string, size: number, mtimeMs: number, sha256: string): void {
  verifiedThisProcess.set(path, { size, mtimeMs, sha256 });
}

/** Forgets what was verified: for tests that damage a file on purpose within one process. */
export function forgetVerified(): void {
  verifiedThisProcess.clear();
}

export function describeMismatch(actual: string, expected: string): string {
  return `SHA-256 is ${short(actual)}..., expected ${short(expected)}...`;
}
