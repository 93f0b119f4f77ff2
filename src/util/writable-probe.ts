/**
 * Checks, before a long run starts, that a file can later be written where asked: the folder exists
 * and takes a new file (created and removed at once, named like an atomic-write temporary file so a
 * probe left by a killed process is cleaned up as one), and the path is not a folder.
 */
import { open, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeFsError, temporaryPathFor } from './atomic-write.js';

/** Undefined when `path` can be written, else a short reason ("the folder /x does not exist"). */
export async function whyNotWritable(path: string): Promise<string | undefined> {
  const dir = dirname(path);
  const dirStat = await stat(dir).catch((e: unknown) => e as { code?: string });
  if (!('isDirectory' in dirStat)) {
    return dirStat.code === 'ENOENT' ? `the folder ${dir} does not exist` : `the folder ${dir}: ${describeFsError(dirStat)}`;
  }
  if (!dirStat.isDirectory()) return `${dir} is not a folder`;
  const target = await stat(path).catch(() => undefined);
  if (target?.isDirectory()) return 'it is a folder';
  const probe = temporaryPathFor(path);
  try {
    const handle = await open(probe, 'wx', 0o666);
    await handle.close();
  } catch (e) {
    return `cannot create a file in ${dir}: ${describeFsError(e)}`;
  }
  await unlink(probe).catch(() => {});
  return undefined;
}
