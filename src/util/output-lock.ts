/**
 * An exclusive lock on an output file for the length of a run, so two runs writing the same weights
 * cannot both report "Saved" while the last one silently wins. The lock is a file beside the output
 * (`w.bin` -> `w.bin.lock`) created with O_EXCL and holding {pid, host, started}. A lock left by a
 * process that is no longer running on this host is taken over; a live one, or one from another
 * host (whose processes cannot be checked from here), is refused, naming its owner.
 */
import { unlinkSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isProcessAlive } from './process-alive.js';

export interface LockOwner {
  pid: number;
  host: string;
  started: string;
}

export interface OutputLock {
  path: string;
  release(): Promise<void>;
  /** Synchronous release for process 'exit' handlers. */
  releaseSync(): void;
}

export class LockHeld extends Error {
  constructor(
    readonly lockPath: string,
    readonly owner: LockOwner | undefined,
  ) {
    super(`${lockPath} is held`);
  }
}

export function lockPathFor(path: string): string {
  return `${path}.lock`;
}

async function readOwner(lockPath: string): Promise<LockOwner | undefined> {
  try {
    const o = JSON.parse(await readFile(lockPath, 'utf8')) as Partial<LockOwner>;
    if (typeof o.pid === 'number' && typeof o.host === 'string') return { pid: o.pid, host: o.host, started: String(o.started ?? '') };
  } catch {
    /* unreadable, or half written by a process that is just creating it */
  }
  return undefined;
}

/** Takes the lock of `path` or throws LockHeld; file-system errors are thrown as they are. */
export async function acquireOutputLock(path: string): Promise<OutputLock> {
  const lockPath = lockPathFor(path);
  const me: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(lockPath, 'wx', 0o644);
      try {
        await handle.writeFile(`${JSON.stringify(me)}\n`);
      } finally {
        await handle.close();
      }
      return makeLock(lockPath);
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e;
    }
    const owner = await readOwner(lockPath);
    // An unreadable lock may be one being written this instant: treat it as held.
    if (!owner || owner.host !== me.host || isProcessAlive(owner.pid)) throw new LockHeld(lockPath, owner);
    // Stale: its process is gone. Remove it and try again (another run may win the race; then it is held).
    await unlink(lockPath).catch(() => {});
  }
  throw new LockHeld(lockPath, await readOwner(lockPath));
}

function makeLock(lockPath: string): OutputLock {
  let released = false;
  return {
    path: lockPath,
    async release() {
      if (released) return;
      released = true;
      await unlink(lockPath).catch(() => {});
    },
    releaseSync() {
      if (released) return;
      released = true;
      try {
        unlinkSync(lockPath);
      } catch {
        /* already gone */
      }
    },
  };
}
