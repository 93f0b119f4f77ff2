/**
 * The dataset cache, `$CNN_HOME/datasets/<name>/` (CNN_HOME defaults to ~/.cache/cnn), and the one
 * way a file enters it: streamed into a temporary file beside its final name while being hashed,
 * renamed only when size and SHA-256 match. A failure, an abort or Ctrl-C removes the temporary
 * file, so the cache never holds a partial or damaged file under a real name.
 */
import { createWriteStream, mkdirSync, accessSync, constants as fsConstants, existsSync, statSync, unlinkSync } from 'node:fs';
import { rename, unlink, mkdir } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, type Gunzip } from 'node:zlib';
import { CnnError, ExitCode, isCnnError } from '../errors.js';
import { recordVerified, describeMismatch } from './checksums.js';
import type { PinnedFile } from './registry.js';
import { warnOnce } from '../util/warnings.js';

export interface CacheLocation {
  root: string;
  /** Set when the preferred place was not usable and a temporary directory is used instead: why. */
  fallbackReason?: string;
}

/** Why `dir` cannot hold the cache, or undefined when it can (it is created if need be). */
function unusable(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, fsConstants.W_OK);
    return undefined;
  } catch (e) {
    // The nearest part of the path that exists tells the user what to fix.
    let p = dir;
    while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
    const code = (e as NodeJS.ErrnoException).code;
    if (existsSync(p) && !statSync(p).isDirectory()) return `${p} is a file, not a folder`;
    if (code === 'EROFS') return `${p} is on a read-only file system`;
    if (code === 'EACCES' || code === 'EPERM') return `${p} is not writable`;
    return `${dir} cannot be created (${code ?? (e as Error).message})`;
  }
}

/** The preferred cache folder and the setting it comes from, as a message names it. */
function preferredCache(cacheDir?: string): { dir: string; setting: string } {
  if (cacheDir) return { dir: cacheDir, setting: `the cache folder ${cacheDir}` };
  if (process.env.CNN_HOME) return { dir: join(process.env.CNN_HOME, 'datasets'), setting: `CNN_HOME=${process.env.CNN_HOME}` };
  if (process.env.XDG_CACHE_HOME) return { dir: join(process.env.XDG_CACHE_HOME, 'cnn', 'datasets'), setting: `XDG_CACHE_HOME=${process.env.XDG_CACHE_HOME}` };
  return { dir: join(homedir(), '.cache', 'cnn', 'datasets'), setting: `the default cache folder ${join(homedir(), '.cache', 'cnn')}` };
}

/**
 * Where datasets are cached: `cacheDir` (tests), else $CNN_HOME/datasets, else ~/.cache/cnn/datasets.
 * When that place cannot be used, a folder under the system's temp dir is, with one warning (through
 * src/util/warnings.ts) naming the setting, the problem and the folder used instead.
 */
export function resolveCache(cacheDir?: string): CacheLocation {
  const preferred = preferredCache(cacheDir);
  const problem = unusable(preferred.dir);
  if (problem === undefined) return { root: preferred.dir };
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  const fallback = join(tmpdir(), `cnn-${uid}`, 'datasets');
  const fallbackProblem = unusable(fallback);
  if (fallbackProblem !== undefined) {
    throw new CnnError('ERR_CACHE_UNWRITABLE', `cannot write the dataset cache: ${preferred.setting}: ${problem}, and ${fallbackProblem} (set CNN_HOME to a writable folder)`);
  }
  warnOnce(`${preferred.setting} cannot hold the dataset cache (${problem}); caching datasets in ${fallback} instead`);
  return { root: fallback, fallbackReason: problem };
}

export function datasetCacheDir(cache: CacheLocation, name: string): string {
  return join(cache.root, name);
}

/** Moves a file that failed its check out of the way (kept for inspection) so it is fetched again. */
export async function setAside(path: string): Promise<string> {
  const aside = `${path}.corrupt`;
  await rename(path, aside);
  return aside;
}

// ---- temporary files and Ctrl-C --------------------------------------------------------------

const activeTemps = new Map<string, AbortController>();
let sigintInstalled = false;

/**
 * Ctrl-C while files are being written: delete them at once, and abort their pipelines so the
 * command ends through its normal error path (exit code 130). The handler is removed right away,
 * so a second Ctrl-C kills the process the usual way.
 */
function onSigint(): void {
  uninstallSigint();
  const interrupted = new CnnError('ERR_INTERRUPTED', 'interrupted (Ctrl-C); the partial file was removed', ExitCode.interrupted);
  for (const [path, controller] of activeTemps) {
    try {
      unlinkSync(path);
    } catch {
      /* already gone */
    }
    controller.abort(interrupted);
  }
}

function installSigint(): void {
  if (sigintInstalled) return;
  process.on('SIGINT', onSigint);
  sigintInstalled = true;
}

function uninstallSigint(): void {
  if (!sigintInstalled) return;
  process.off('SIGINT', onSigint);
  sigintInstalled = false;
}

export interface WriteVerifiedOptions {
  signal?: AbortSignal;
  /** Store the bytes as they come, gzip or not: for an archive whose compressed bytes are what is pinned. */
  raw?: boolean;
}

/**
 * Decompresses gzip content and passes anything else through, decided by the first bytes: mirrors
 * and local copies hold the same data raw or compressed, and what we hash and store is the raw IDX.
 */
function gunzipIfCompressed(): Transform {
  let gunzip: Gunzip | undefined;
  let decided = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (!decided) {
        decided = true;
        if (chunk.length >= 2 && chunk[0] === 0x1f && chunk[1] === 0x8b) {
          gunzip = createGunzip();
          gunzip.on('data', (d: Buffer) => this.push(d));
          gunzip.on('error', (e) => this.destroy(e));
        }
      }
      if (gunzip) gunzip.write(chunk, () => done());
      else done(null, chunk);
    },
    flush(done) {
      if (!gunzip) return done();
      gunzip.once('end', () => done());
      gunzip.end();
    },
  });
}

/** Counts and hashes what passes through; fails as soon as the content exceeds its pinned size. */
function hashingCap(expected: PinnedFile): Transform & { digest(): { bytes: number; sha256: string } } {
  const hash = createHash('sha256');
  let bytes = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > expected.size) {
        done(new Error(`content is longer than the expected ${expected.size} bytes`));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  }) as Transform & { digest(): { bytes: number; sha256: string } };
  t.digest = () => ({ bytes, sha256: hash.digest('hex') });
  return t;
}

/**
 * Streams `source` (raw or gzip) into `dest` through a temporary file, verifying size and SHA-256 first.
 * Throws a plain Error whose message says what was wrong (the caller names the source), or a
 * CnnError ERR_INTERRUPTED on Ctrl-C.
 */
export async function writeVerified(source: Readable, dest: string, expected: PinnedFile, options: WriteVerifiedOptions): Promise<void> {
  await mkdir(join(dest, '..'), { recursive: true });
  const temp = `${dest}.part-${process.pid}-${randomBytes(4).toString('hex')}`;
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal?.aborted) controller.abort(options.signal.reason);
  activeTemps.set(temp, controller);
  installSigint();
  const cap = hashingCap(expected);
  try {
    if (options.raw) await pipeline(source, cap, createWriteStream(temp), { signal: controller.signal });
    else await pipeline(source, gunzipIfCompressed(), cap, createWriteStream(temp), { signal: controller.signal });
    const { bytes, sha256 } = cap.digest();
    if (bytes !== expected.size) throw new Error(`content is ${bytes} bytes, expected ${expected.size} (truncated?)`);
    if (sha256 !== expected.sha256) throw new Error(`checksum mismatch: ${describeMismatch(sha256, expected.sha256)}`);
    await rename(temp, dest);
    await recordVerified(dest, sha256);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    const reason = controller.signal.reason;
    if (controller.signal.aborted) throw isCnnError(reason) ? reason : cancelled();
    throw describeStreamError(e);
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
    activeTemps.delete(temp);
    if (activeTemps.size === 0) uninstallSigint();
  }
}

export function cancelled(): CnnError {
  return new CnnError('ERR_INTERRUPTED', 'cancelled; no partial file was kept', ExitCode.interrupted);
}

function describeStreamError(e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'Z_DATA_ERROR' || err?.code === 'Z_BUF_ERROR') return new Error(`not valid gzip data (${err.message})`);
  if (err?.code === 'ENOSPC') return new CnnError('ERR_DISK_FULL', `no space left on the device while writing the dataset cache`);
  if (err instanceof Error) return err;
  return new Error(String(e));
}

/** Every temporary file still open: for tests checking that nothing partial is left behind. */
export function activeTempFiles(): string[] {
  return [...activeTemps.keys()];
}
