/**
 * Writes a file so that a crash, a full disk or Ctrl-C never leaves a half-written file under the
 * final name: the bytes go to a temporary file in the same directory (same file system, so the
 * rename is atomic), are flushed to disk with fsync, and only then renamed over the target. On any
 * failure the temporary file is removed and the previous file, if any, is left as it was.
 *
 * A process killed with SIGKILL (or a second Ctrl-C) cannot remove its temporary file, and a weights
 * file's can be many megabytes: each write first removes the temporary files of the same target left
 * by processes that are no longer running on this machine (never one of a live process).
 */
import { open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isProcessAlive } from './process-alive.js';

/** Writes `data` to `path` atomically. Throws the underlying file-system error (with its `code`). */
export async function writeFileAtomic(path: string, data: Uint8Array | readonly Uint8Array[]): Promise<void> {
  const chunks = data instanceof Uint8Array ? [data] : data;
  await removeStaleTemporaries(path);
  const temp = temporaryPathFor(path);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    // 'wx': never follow or reuse an existing file of that name.
    handle = await open(temp, 'wx', 0o666);
    for (const chunk of chunks) {
      let written = 0;
      while (written < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, written, chunk.length - written);
        written += bytesWritten;
      }
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    if (handle) await handle.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** A hidden name beside the target, unique per process and call, recognisable if ever left behind. */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The pid in a temporary file name of `path` (".w.bin.<pid>.<hex>.tmp", or older ".w.bin.<pid>.tmp"). */
export function temporaryOwner(path: string, name: string): number | undefined {
  const m = new RegExp(`^\\.${escapeRegExp(basename(path))}\\.(\\d+)(?:\\.[0-9a-f]+)?\\.tmp$`).exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Removes the temporary files of `path` whose writer is gone; returns their names. Best effort: a
 * folder that cannot be listed, or a file that cannot be removed, is left for the write to report.
 */
export async function removeStaleTemporaries(path: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = temporaryOwner(path, name);
    if (pid === undefined || pid === process.pid || isProcessAlive(pid)) continue;
    try {
      // recursive: `cnn export --format tfjs` stages a whole folder under such a name
      await rm(join(dirname(path), name), { recursive: true });
      removed.push(name);
    } catch {
      /* gone already, or not ours to remove */
    }
  }
  return removed;
}

/** Makes the rename itself durable. Best effort: some file systems refuse to open a directory. */
export async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* the data is already safe; only the rename's durability is at stake */
  }
}

/** A short human reason for a file-system error: "no such file", "permission denied" ... */
export function describeFsError(error: unknown): string {
  const code = (error as { code?: string } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'EISDIR':
      return 'is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    case 'ENAMETOOLONG':
      return 'file name too long';
    case 'EIO':
      return 'input/output error';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
