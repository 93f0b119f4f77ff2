/**
 * SHA-256 checks of dataset files. A file is hashed at most once per process while its size and
 * modification time stay the same: hashing MNIST's 55 MB costs ~100 ms, paid once, not per load.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
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

/** Checks a file against its pinned size and hash; never throws for a missing or unreadable file. */
export async function checkFile(path: string, expected: PinnedFile): Promise<FileCheck> {
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
  return { ok: true, path };
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
