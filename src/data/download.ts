/**
 * Downloads one file into the cache with node's own http/https (no dependency): follows redirects,
 * gives up after an overall deadline or a stretch with no data, reports progress, and hands the
 * body to writeVerified, which stores it only if its content hash matches.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Transform } from 'node:stream';
import { writeVerified } from './cache.js';
import type { PinnedFile } from './registry.js';
import { version } from '../version.js';

export interface DownloadProgress {
  url: string;
  file: string;
  received: number;
  /** From Content-Length; undefined when the server does not say. */
  total?: number;
  bytesPerSecond: number;
}

export interface DownloadOptions {
  /** Give up on the whole file after this long (default 10 minutes). */
  timeoutMs?: number;
  /** Give up when no byte arrives for this long, connecting included (default 30 s). */
  idleTimeoutMs?: number;
  maxRedirects?: number;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
}

/** What downloadFile alone takes besides DownloadOptions. */
export interface DownloadFileOptions extends DownloadOptions {
  /** Keep the body as it comes (the pinned bytes are the compressed ones): see writeVerified. */
  raw?: boolean;
}

export const DEFAULT_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_REDIRECTS = 5;

function seconds(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

/** One GET; resolves with a 200 response (redirects followed) or rejects with a one-line reason. */
/** Why we cut a connection ourselves, so a later 'connection closed' is reported as the real cause. */
interface CutReason {
  error?: Error;
}

function get(url: string, options: DownloadOptions, redirectsLeft: number, deadline: Promise<never>, cut: CutReason): Promise<{ response: IncomingMessage; url: string }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.reject(new Error(`not a valid URL: ${url}`));
  }
  const client = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
  if (!client) return Promise.reject(new Error(`unsupported protocol ${parsed.protocol} (use https:// or http://)`));
  const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const attempt = new Promise<{ response: IncomingMessage; url: string }>((resolve, reject) => {
    const request = client.get(parsed, { headers: { 'user-agent': `cnn/${version}` }, signal: options.signal }, (response) => {
      const status = response.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && response.headers.location) {
        response.resume();
        if (redirectsLeft <= 0) {
          reject(new Error(`too many redirects (more than ${options.maxRedirects ?? DEFAULT_MAX_REDIRECTS})`));
          return;
        }
        const next = new URL(response.headers.location, parsed).toString();
        get(next, options, redirectsLeft - 1, deadline, cut).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        response.resume();
        reject(new Error(`HTTP ${status} ${response.statusMessage ?? ''}`.trim()));
        return;
      }
      resolve({ response, url });
    });
    // A socket with no traffic for idleMs, while connecting or while reading the body.
    request.setTimeout(idleMs, () => {
      cut.error ??= new Error(`no data for ${seconds(idleMs)} (timed out)`);
      request.destroy(cut.error);
    });
    request.on('error', (e) => reject(cut.error ?? networkError(e)));
    deadline.catch((e: Error) => {
      cut.error ??= e;
      request.destroy(e);
    });
  });
  return Promise.race([attempt, deadline]);
}

function networkError(e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  if (err?.name === 'AbortError') return err;
  const known: Record<string, string> = {
    ENOTFOUND: 'host not found (no network or DNS?)',
    EAI_AGAIN: 'host not found (no network or DNS?)',
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset by the server',
    ENETUNREACH: 'network unreachable',
    EHOSTUNREACH: 'host unreachable',
    CERT_HAS_EXPIRED: 'TLS certificate expired',
  };
  const text = err?.code && known[err.code] ? known[err.code] : err?.message ?? String(e);
  return new Error(text);
}

/** Counts bytes for progress and notices a body that ends before its Content-Length. */
function progressMeter(url: string, file: string, total: number | undefined, onProgress?: (p: DownloadProgress) => void): Transform {
  const started = Date.now();
  let received = 0;
  let lastReport = 0;
  const report = () => {
    const elapsed = Math.max(1, Date.now() - started) / 1000;
    onProgress?.({ url, file, received, total, bytesPerSecond: received / elapsed });
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      const now = Date.now();
      if (now - lastReport >= 100) {
        lastReport = now;
        report();
      }
      done(null, chunk);
    },
    flush(done) {
      report();
      if (total !== undefined && received < total) {
        done(new Error(`the server closed the connection after ${received} of ${total} bytes (truncated)`));
        return;
      }
      done();
    },
  });
}

/**
 * Downloads `url` into `dest` if its content (decompressed when it is gzip) matches
 * `expected`. Rejects with a one-line reason; the caller says which mirror it was.
 */
export async function downloadFile(url: string, dest: string, expected: PinnedFile, options: DownloadFileOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${seconds(timeoutMs)} (timed out)`)), timeoutMs);
  });
  deadline.catch(() => undefined); // handled where it is raced; never an unhandled rejection
  try {
    const cut: CutReason = {};
    const { response, url: finalUrl } = await get(url, options, options.maxRedirects ?? DEFAULT_MAX_REDIRECTS, deadline, cut);
    deadline.catch((e: Error) => {
      cut.error ??= e;
      response.destroy(e);
    });
    const lengthHeader = response.headers['content-length'];
    const total = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    const file = new URL(finalUrl).pathname.split('/').pop() ?? expected.name;
    const body = response.pipe(progressMeter(url, file, total, options.onProgress));
    // A premature close is an error on the response, not on the piped stream: pass it on.
    response.on('error', (e) => body.destroy(cut.error ?? networkError(e)));
    response.on('aborted', () => body.destroy(cut.error ?? new Error('the server closed the connection before the end of the body (truncated)')));
    await writeVerified(body, dest, expected, { signal: options.signal, raw: options.raw });
  } finally {
    clearTimeout(timer);
  }
}
