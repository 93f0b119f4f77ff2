/**
 * CIFAR-10 in its authors' binary format: one pinned archive (cifar-10-binary.tar.gz) holding five
 * training batches, a test batch and the class names. Getting it: the cache, else the archive from
 * --data-dir or a mirror (CNN_DATASET_MIRROR first), verified against its pinned SHA-256 on the way
 * in, then only the expected members taken out of it (src/data/tar.ts), each into a temporary file
 * renamed when all are there; a manifest written last records what the verified archive held, so
 * the cache is checked against it later. The archive itself is not kept.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { CnnError, ExitCode, isCnnError } from '../errors.js';
import { removeStaleTemporaries, temporaryPathFor, writeFileAtomic } from '../util/atomic-write.js';
import { describeNonRegular, FileRefused, openRegularFile, readRegularFile } from '../util/read-regular-file.js';
import { checkFile, removeStamp, type FileCheck } from './checksums.js';
import { cancelled, datasetCacheDir, resolveCache, setAside, writeVerified, type CacheLocation } from './cache.js';
import type { DownloadOptions } from './download.js';
import type { ArchiveDatasetDefinition } from './registry.js';
import { readTar, TarFormatError, type TarEntry, type TarSink } from './tar.js';

export interface ArchiveFetchOptions extends DownloadOptions {
  cacheDir?: string;
  /** A folder holding the archive (cifar-10-binary.tar.gz), tried before any mirror. */
  dataDir?: string;
  extraMirrors?: string[];
  mirrors?: string[];
  onStatus?: (message: string) => void;
}

export interface ArchiveFetched {
  dir: string;
  cache: CacheLocation;
  /** Each extracted member's path in the cache, by member name. */
  files: Record<string, string>;
  /** Where the files came from this time: "cache", the --data-dir archive or a URL. */
  origins: Record<string, string>;
}

/** What the cache records of the archive it extracted, written after every member is in place. */
interface Manifest {
  archive: { name: string; sha256: string; size: number };
  files: Record<string, { size: number; sha256: string }>;
}

export const MANIFEST_NAME = 'manifest.json';
const META_MAX_BYTES = 64 * 1024;

export function memberNames(def: ArchiveDatasetDefinition): string[] {
  return [...def.trainBatches, ...def.testBatches, def.metaFile];
}

export function recordBytes(def: ArchiveDatasetDefinition): number {
  const [h, w, c] = def.imageShape;
  return 1 + h * w * c;
}

export function batchBytes(def: ArchiveDatasetDefinition): number {
  return def.recordsPerBatch * recordBytes(def);
}

function short(sha: string): string {
  return `${sha.slice(0, 12)}...`;
}

function formatError(message: string): CnnError {
  return new CnnError('ERR_DATASET_FORMAT', message);
}

// ---- the cache -------------------------------------------------------------------------------

async function readManifest(dir: string, def: ArchiveDatasetDefinition): Promise<{ manifest?: Manifest; missing: boolean; reason?: string }> {
  const path = join(dir, MANIFEST_NAME);
  if (!(await stat(path).then(() => true, () => false))) return { missing: true, reason: 'not there' };
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(path, 1 << 20);
  } catch (e) {
    return { missing: false, reason: `cannot read it (${(e as Error).message})` };
  }
  let parsed: Manifest;
  try {
    parsed = JSON.parse(bytes.toString('utf8')) as Manifest;
  } catch {
    return { missing: false, reason: 'it is not JSON' };
  }
  if (!parsed || typeof parsed !== 'object' || !parsed.archive || typeof parsed.files !== 'object' || parsed.files === null) {
    return { missing: false, reason: 'it is not a cnn dataset manifest' };
  }
  if (parsed.archive.sha256 !== def.archive.sha256) {
    return { missing: false, reason: `it records an archive with SHA-256 ${short(String(parsed.archive.sha256))}, not the pinned ${short(def.archive.sha256)}` };
  }
  for (const name of memberNames(def)) {
    const f = parsed.files[name];
    if (!f || !Number.isSafeInteger(f.size) || typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)) {
      return { missing: false, reason: `it records nothing valid for ${name}` };
    }
  }
  return { manifest: parsed, missing: false };
}

export interface MemberCheck {
  name: string;
  path: string;
  check: FileCheck;
}

export interface ArchiveCacheState {
  dir: string;
  state: 'verified' | 'missing' | 'incomplete' | 'damaged';
  /** The manifest first, then each member. */
  checks: MemberCheck[];
}

/** Checks the cached members against the manifest (and its archive against the pin); moves nothing. */
/** `useStamp`: trust the stamp of an earlier check of an unchanged member (loads, `cnn data list`); `cnn data verify` hashes every member. */
export async function inspectArchiveCache(def: ArchiveDatasetDefinition, cacheDir?: string, options: { useStamp?: boolean } = {}): Promise<ArchiveCacheState> {
  const dir = datasetCacheDir(resolveCache(cacheDir), def.name);
  const manifestPath = join(dir, MANIFEST_NAME);
  const { manifest, missing, reason } = await readManifest(dir, def);
  const checks: MemberCheck[] = [
    { name: MANIFEST_NAME, path: manifestPath, check: manifest ? { ok: true, path: manifestPath } : { ok: false, path: manifestPath, missing, reason: reason ?? '' } },
  ];
  for (const name of memberNames(def)) {
    const path = join(dir, name);
    if (manifest) {
      checks.push({ name, path, check: await checkFile(path, { name, ...manifest.files[name] }, { useStamp: options.useStamp }) });
      continue;
    }
    const there = await stat(path).then(() => true, () => false);
    checks.push({ name, path, check: { ok: false, path, missing: !there, reason: there ? `unverified (${MANIFEST_NAME} ${reason})` : 'not there' } });
  }
  const failed = checks.filter((c) => !c.check.ok);
  const missingOnes = failed.filter((c) => !c.check.ok && c.check.missing);
  let state: ArchiveCacheState['state'];
  if (failed.length === 0) state = 'verified';
  else if (missingOnes.length === checks.length) state = 'missing';
  // Members without a manifest: an extraction cut short; they are extracted again, not set aside.
  else if (!manifest && missing) state = 'incomplete';
  else state = missingOnes.length === failed.length ? 'incomplete' : 'damaged';
  return { dir, state, checks };
}

// ---- taking the members out of the archive ---------------------------------------------------

interface Extracted {
  temp: string;
  handle: FileHandle;
  hash: ReturnType<typeof createHash>;
  bytes: number;
}

/** Why a wanted member's header is refused before its bytes are read, or undefined when it is fine. */
function memberProblem(def: ArchiveDatasetDefinition, name: string, entry: TarEntry): string | undefined {
  if (entry.type !== 'file') return `${entry.name} is a ${entry.type}, not a regular file`;
  if (name === def.metaFile) return entry.size > META_MAX_BYTES ? `${entry.name} is ${entry.size} bytes; a list of class names is under ${META_MAX_BYTES}` : undefined;
  const record = recordBytes(def);
  const [h, w, c] = def.imageShape;
  if (entry.size % record !== 0) {
    return `${entry.name} is ${entry.size} bytes, not a whole number of ${record}-byte records (1 label byte + ${h}x${w}x${c} pixels)`;
  }
  const records = entry.size / record;
  if (records !== def.recordsPerBatch) return `${entry.name} holds ${records} records of ${record} bytes; a ${def.name} batch holds ${def.recordsPerBatch}`;
  return undefined;
}

function describeExtractError(e: unknown, label: string): Error {
  if (isCnnError(e)) return e;
  if (e instanceof TarFormatError) return formatError(e.message);
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'Z_DATA_ERROR' || err?.code === 'Z_BUF_ERROR') {
    return formatError(`${label} is truncated or damaged: its gzip stream does not decompress (${err.message})`);
  }
  if (err?.code === 'ENOSPC') return new CnnError('ERR_DISK_FULL', 'no space left on the device while writing the dataset cache');
  return formatError(`${label}: ${err?.message ?? String(e)}`);
}

/**
 * Takes the dataset's members out of a verified archive into `dir`: every member is checked (a
 * regular file, the expected size), written to a temporary file and hashed; only when the whole
 * archive has been read and every member found are they renamed into place, the manifest last.
 */
export async function extractArchive(def: ArchiveDatasetDefinition, archivePath: string, dir: string, label: string, signal?: AbortSignal): Promise<void> {
  const wanted = new Map(memberNames(def).map((n) => [`${def.folder}/${n}`, n]));
  const extracted = new Map<string, Extracted>();
  const input = createReadStream(archivePath, { highWaterMark: 1 << 20 });
  const gunzip = createGunzip();
  input.on('error', (e) => gunzip.destroy(e));
  input.pipe(gunzip);
  const onAbort = () => gunzip.destroy(cancelled());
  signal?.addEventListener('abort', onAbort, { once: true });
  // Ctrl-C while extracting: stop reading, so the temporary files are removed below and the command
  // ends through its error path (exit code 130); a second Ctrl-C then kills the process as usual.
  let interrupted: CnnError | undefined;
  const onSigint = () => {
    process.off('SIGINT', onSigint);
    interrupted = new CnnError('ERR_INTERRUPTED', 'interrupted (Ctrl-C); the partly extracted files were removed', ExitCode.interrupted);
    gunzip.destroy(interrupted);
  };
  process.on('SIGINT', onSigint);
  // Temporary files of an extraction that was killed outright.
  for (const name of memberNames(def)) await removeStaleTemporaries(join(dir, name));
  const expectedTotal = memberNames(def).reduce((s, n) => s + (n === def.metaFile ? META_MAX_BYTES : batchBytes(def)), 0);
  try {
    await readTar(gunzip, {
      archive: label,
      // The members, their headers and a few small extra files (a readme) at most.
      maxBytes: expectedTotal + (4 << 20),
      onEntry: async (entry): Promise<TarSink | undefined> => {
        const name = wanted.get(entry.name);
        if (name === undefined) return undefined;
        if (extracted.has(name)) throw new TarFormatError(`${label} holds ${entry.name} twice`);
        const problem = memberProblem(def, name, entry);
        if (problem) throw new TarFormatError(`${label}: ${problem}`);
        const temp = temporaryPathFor(join(dir, name));
        const item: Extracted = { temp, handle: await open(temp, 'wx'), hash: createHash('sha256'), bytes: 0 };
        extracted.set(name, item);
        return {
          write: async (chunk) => {
            item.hash.update(chunk);
            item.bytes += chunk.length;
            await item.handle.write(chunk);
          },
          end: async () => item.handle.close(),
        };
      },
    });
    const missing = [...wanted].filter(([, n]) => !extracted.has(n)).map(([path]) => path);
    if (missing.length > 0) throw formatError(`${label} has no ${missing.join(', ')}: not the ${def.name} archive, or damaged`);
    const manifest: Manifest = { archive: { ...def.archive }, files: {} };
    for (const [name, item] of extracted) {
      manifest.files[name] = { size: item.bytes, sha256: item.hash.digest('hex') };
      await rename(item.temp, join(dir, name));
    }
    await writeFileAtomic(join(dir, MANIFEST_NAME), Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
  } catch (e) {
    if (interrupted) throw interrupted;
    if (signal?.aborted) throw cancelled();
    throw describeExtractError(e, label);
  } finally {
    process.off('SIGINT', onSigint);
    signal?.removeEventListener('abort', onAbort);
    input.destroy();
    gunzip.destroy();
    for (const item of extracted.values()) {
      await item.handle.close().catch(() => undefined);
      await unlink(item.temp).catch(() => undefined);
    }
  }
}

// ---- getting the archive ---------------------------------------------------------------------

interface Attempt {
  source: string;
  reason: string;
}

function envMirrors(): string[] {
  return (process.env.CNN_DATASET_MIRROR ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function withSlash(base: string): string {
  return base.endsWith('/') ? base : `${base}/`;
}

/** --data-dir must be a folder holding the archive: otherwise the user would think it was used. */
async function checkArchiveDir(def: ArchiveDatasetDefinition, dir: string): Promise<string> {
  const wanted = `${def.archive.name} (the ${def.name} archive, from ${def.homepage})`;
  const info = await stat(dir).catch((e: NodeJS.ErrnoException) => e);
  if (info instanceof Error) {
    const why = info.code === 'ENOENT' ? 'does not exist' : `cannot be read (${info.code ?? info.message})`;
    throw new CnnError('ERR_DATA_DIR', `--data-dir ${dir} ${why}; it should be a folder holding ${wanted}`);
  }
  if (!info.isDirectory()) throw new CnnError('ERR_DATA_DIR', `--data-dir ${dir} is not a folder; it should be a folder holding ${wanted}`);
  const path = join(dir, def.archive.name);
  const file = await stat(path).catch(() => undefined);
  if (!file) throw new CnnError('ERR_DATA_DIR', `--data-dir ${dir} holds no ${wanted}`);
  const kind = describeNonRegular(file);
  if (kind) throw new CnnError('ERR_DATA_DIR', `--data-dir ${dir}: ${path} is ${kind}, not a regular file`);
  return path;
}

function unavailable(def: ArchiveDatasetDefinition, attempts: Attempt[]): CnnError {
  const lines = [`cannot get dataset ${def.name}: no source has a good copy of ${def.archive.name}`, 'sources tried:'];
  for (const a of attempts) lines.push(`  - ${a.source}: ${a.reason}`);
  lines.push('what you can do:');
  lines.push(`  - download ${withSlash(def.mirrors[0] ?? '')}${def.archive.name} (${def.archive.size} bytes, from ${def.homepage}) on a machine with a network, then pass --data-dir DIR, the folder holding it`);
  lines.push(`  - set CNN_DATASET_MIRROR=URL to a mirror serving ${def.archive.name}`);
  return new CnnError('ERR_DATASET_UNAVAILABLE', lines.join('\n'));
}

async function setAsideDamaged(state: ArchiveCacheState, status: (m: string) => void): Promise<string> {
  const notes: string[] = [];
  const manifestThere = state.checks[0].check.ok || !state.checks[0].check.missing;
  for (const c of state.checks) {
    if (c.check.ok || c.check.missing || !manifestThere) continue;
    try {
      notes.push(`${c.name} (${c.check.reason}) set aside as ${await setAside(c.path)}`);
    } catch (e) {
      notes.push(`${c.name} (${c.check.reason}) could not be set aside (${(e as NodeJS.ErrnoException).code})`);
    }
  }
  const note = notes.join('; ');
  if (note) status(`${state.dir} failed its check: ${note}; getting it again`);
  return note;
}

/** Gets the verified archive to `archivePath` from --data-dir or a mirror; undefined when none worked. */
async function getArchive(def: ArchiveDatasetDefinition, archivePath: string, options: ArchiveFetchOptions, attempts: Attempt[]): Promise<string | undefined> {
  const status = options.onStatus ?? (() => undefined);
  if (options.dataDir !== undefined) {
    const path = await checkArchiveDir(def, options.dataDir);
    try {
      const { handle } = await openRegularFile(path);
      try {
        await writeVerified(handle.createReadStream({ autoClose: false }), archivePath, def.archive, { signal: options.signal, raw: true });
      } finally {
        await handle.close().catch(() => undefined);
      }
      status(`${def.archive.name}: verified, from ${path}`);
      return path;
    } catch (e) {
      if (isCnnError(e)) throw e;
      attempts.push({ source: `--data-dir ${options.dataDir}`, reason: e instanceof FileRefused ? `${path} ${e.message}` : `${path}: ${(e as Error).message}` });
    }
  }
  const mirrors = [...(options.extraMirrors ?? envMirrors()), ...(options.mirrors ?? def.mirrors)];
  for (const base of mirrors) {
    const url = `${withSlash(base)}${def.archive.name}`;
    status(`${def.archive.name}: downloading ${url}`);
    try {
      const { downloadFile } = await import('./download.js'); // only to download (see sources.ts)
      await downloadFile(url, archivePath, def.archive, { ...options, raw: true });
      status(`${def.archive.name}: downloaded and verified from ${url}`);
      return url;
    } catch (e) {
      if (isCnnError(e)) throw e;
      if (options.signal?.aborted) throw cancelled();
      attempts.push({ source: url, reason: (e as Error).message });
    }
  }
  return undefined;
}

/** Makes sure the dataset's members are in the cache and verified; returns their paths. */
export async function fetchArchiveDataset(def: ArchiveDatasetDefinition, options: ArchiveFetchOptions = {}): Promise<ArchiveFetched> {
  const cache = resolveCache(options.cacheDir);
  const dir = datasetCacheDir(cache, def.name);
  const files = Object.fromEntries(memberNames(def).map((n) => [n, join(dir, n)]));
  const state = await inspectArchiveCache(def, options.cacheDir, { useStamp: true });
  if (state.state === 'verified') return { dir, cache, files, origins: Object.fromEntries(memberNames(def).map((n) => [n, 'cache'])) };
  const attempts: Attempt[] = [];
  if (state.state === 'missing') attempts.push({ source: `cache ${dir}`, reason: 'not there' });
  else {
    const note = await setAsideDamaged(state, options.onStatus ?? (() => undefined));
    const reasons = state.checks.filter((c) => !c.check.ok).map((c) => `${c.name} ${c.check.ok ? '' : c.check.reason}`);
    attempts.push({ source: `cache ${dir}`, reason: `${state.state}: ${reasons.join('; ')}${note ? `; ${note}` : ''}` });
  }
  const archivePath = join(dir, def.archive.name);
  const origin = await getArchive(def, archivePath, options, attempts);
  if (origin === undefined) throw unavailable(def, attempts);
  try {
    options.onStatus?.(`${def.archive.name}: extracting ${memberNames(def).length} files into ${dir}`);
    await extractArchive(def, archivePath, dir, `${def.archive.name} (from ${origin})`, options.signal);
  } finally {
    await unlink(archivePath).catch(() => undefined);
    await removeStamp(archivePath);
  }
  return { dir, cache, files, origins: Object.fromEntries(memberNames(def).map((n) => [n, origin])) };
}
