/**
 * Puts an export in place without ever leaving half of one, and without replacing what is not
 * ours. The files are written into a temporary name beside the target (same file system) and
 * renamed into place only when complete; a full disk leaves the target as it was. An existing
 * target is replaced only when it is a previous cnn export of the same kind (or an empty folder),
 * unless `force` is given.
 */
import { lstat, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { join } from 'node:path';
import { usageError } from '../errors.js';
import { removeStaleTemporaries, syncDirectory, temporaryPathFor } from '../util/atomic-write.js';
import { TFJS_MODEL_FILE, TFJS_WEIGHTS_FILE } from './tfjs.js';

export type ExportKind = 'onnx' | 'tfjs' | 'keras';

/** ONNX files begin with ir_version (field 1) then producer_name (field 2): cnn writes "cnn" there. */
function looksLikeCnnOnnx(head: Buffer): boolean {
  return head.length > 8 && head[0] === 0x08 && head.subarray(0, 16).includes(Buffer.from([0x12, 0x03, 0x63, 0x6e, 0x6e]));
}

/** cnn's .keras files start with a stored metadata.json whose third key is "cnn" (see export/keras.ts). */
function looksLikeCnnKeras(head: Buffer): boolean {
  return head.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1')) && head.includes('metadata.json{"keras_version"') && head.includes(',"cnn":{');
}

async function tfjsFolderProblem(dir: string): Promise<string | undefined> {
  const names = await readdir(dir);
  const foreign = names.filter((n) => n !== TFJS_MODEL_FILE && n !== TFJS_WEIGHTS_FILE);
  if (foreign.length) return `it holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}, which cnn export does not write`;
  if (!names.includes(TFJS_MODEL_FILE)) return names.length ? `it has no ${TFJS_MODEL_FILE}` : undefined;
  try {
    const json = JSON.parse(await readFile(join(dir, TFJS_MODEL_FILE), 'utf8')) as { generatedBy?: unknown };
    if (typeof json.generatedBy === 'string' && json.generatedBy.startsWith('cnn ')) return undefined;
  } catch {
    /* not JSON: not ours */
  }
  return `its ${TFJS_MODEL_FILE} was not written by cnn export`;
}

/** Why `target` may not be replaced without --force; undefined when it is absent or a previous export. */
export async function replaceProblem(target: string, kind: ExportKind): Promise<string | undefined> {
  const st = await lstat(target).catch(() => undefined);
  if (!st) return undefined;
  if (kind === 'tfjs') return st.isDirectory() ? tfjsFolderProblem(target) : 'it is a file, not a folder';
  if (st.isDirectory()) return 'it is a folder';
  if (!st.isFile()) return 'it is not a regular file';
  const head = await readFile(target).then((b) => b.subarray(0, 160), () => Buffer.alloc(0));
  if (kind === 'keras') return looksLikeCnnKeras(head) ? undefined : 'it is not a .keras file written by cnn export';
  return looksLikeCnnOnnx(head) ? undefined : 'it is not an ONNX file written by cnn export';
}

/**
 * Writes the export with `write(tempPath)` (a file or a folder at that path), then moves it onto
 * `target`. Refuses (usage error naming the option and path) to replace anything but a previous
 * cnn export unless `force`. On failure the temporary copy is removed and `target` is unchanged.
 */
export async function installExport(target: string, kind: ExportKind, force: boolean, write: (tempPath: string) => Promise<void>): Promise<void> {
  const problem = await replaceProblem(target, kind);
  if (problem && !force) throw usageError('ERR_EXPORT_EXISTS', `--out ${target} already exists and ${problem}; add --force to replace it`);
  await removeStaleTemporaries(target);
  const temp = temporaryPathFor(target);
  try {
    await write(temp);
    const existing = await lstat(target).catch(() => undefined);
    const fileOverFile = existing && !existing.isDirectory() && !(await lstat(temp)).isDirectory();
    if (!existing || fileOverFile) {
      await rename(temp, target); // atomic, also over an existing file
    } else {
      // A folder cannot be renamed over a non-empty one: move the old one aside, then swap.
      const aside = temporaryPathFor(target);
      await rename(target, aside);
      try {
        await rename(temp, target);
      } catch (e) {
        await rename(aside, target).catch(() => {});
        throw e;
      }
      await rm(aside, { recursive: true, force: true });
    }
  } catch (e) {
    await rm(temp, { recursive: true, force: true }).catch(() => {});
    throw e;
  }
  await syncDirectory(dirname(target));
}
