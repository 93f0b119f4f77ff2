/**
 * The real download code against a loopback mirror (127.0.0.1 only): success, a 404 then a working
 * mirror, a truncated body, a wrong hash, redirects, a stalled server, Ctrl-C, and the message
 * when every source fails. No test touches the internet.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, mkdtempSync, readdirSync, readFileSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fetchDatasetFiles, encodeIdx, type DownloadProgress } from '../src/data/index.js';
import { packageRoot } from '../src/version.js';
import { startLoopback, serveTiny, tinyDefinition, tinyDir, sha256, TINY_SHA256, type Handler } from './fixtures/data/loopback-server.js';

// Everything the tests write (caches hold 55 MB copies of MNIST) goes here and is removed at the end.
const scratch = mkdtempSync(join(tmpdir(), 'cnn-data-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const freshCache = () => mkdtempSync(join(scratch, 'cnn-dl-'));
const def = (mirrors: string[] = []) => tinyDefinition('tiny', mirrors);
const fast = { idleTimeoutMs: 2000, timeoutMs: 5000, extraMirrors: [] as string[] };

function cachedFiles(cacheDir: string): string[] {
  const dir = join(cacheDir, 'tiny');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

async function withServer<T>(handler: Handler, body: (url: string, requests: string[]) => Promise<T>): Promise<T> {
  const server = await startLoopback(handler);
  try {
    return await body(server.url, server.requests);
  } finally {
    await server.close();
  }
}

test('a .gz download is decompressed, verified against the pinned hash and stored raw; progress is reported', async () => {
  const cacheDir = freshCache();
  const progress: DownloadProgress[] = [];
  await withServer(serveTiny, async (url) => {
    const got = await fetchDatasetFiles(def([url]), { ...fast, cacheDir, onProgress: (p) => progress.push(p) });
    assert.equal(got.origins.trainImages, `${url}train-images-idx3-ubyte.gz`);
    const stored = readFileSync(got.files.trainImages);
    assert.equal(sha256(stored), TINY_SHA256.trainImages);
    assert.deepEqual(stored, readFileSync(join(tinyDir, 'train-images-idx3-ubyte')));
  });
  // Each file has the stamp of the check made while it was written, so its first load hashes nothing.
  const names = ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', 'train-images-idx3-ubyte', 'train-labels-idx1-ubyte'];
  assert.deepEqual(cachedFiles(cacheDir), names.flatMap((n) => [n, `${n}.verified`]));
  const last = progress.filter((p) => p.file === 'train-images-idx3-ubyte.gz').at(-1);
  assert.ok(last, 'progress was reported for the train images');
  assert.equal(last.received, readFileSync(join(tinyDir, 'train-images-idx3-ubyte.gz')).length);
  assert.equal(last.total, last.received);
  assert.ok(last.bytesPerSecond > 0);
});

test('a mirror answering 404 is passed over for the next one', async () => {
  const cacheDir = freshCache();
  await withServer((_req, res) => res.writeHead(404).end(), async (deadUrl, deadRequests) => {
    await withServer(serveTiny, async (goodUrl) => {
      const got = await fetchDatasetFiles(def([deadUrl, goodUrl]), { ...fast, cacheDir });
      assert.equal(got.origins.testLabels, `${goodUrl}t10k-labels-idx1-ubyte.gz`);
    });
    // After a 404 for the .gz, the raw name is asked for too, then the mirror is left.
    assert.deepEqual(deadRequests.slice(0, 2), ['/train-images-idx3-ubyte.gz', '/train-images-idx3-ubyte']);
  });
});

test('a mirror with only raw files is used after the .gz 404s', async () => {
  const cacheDir = freshCache();
  const rawOnly: Handler = (req, res) => (req.url?.endsWith('.gz') ? res.writeHead(404).end() : serveTiny(req, res));
  await withServer(rawOnly, async (url) => {
    const got = await fetchDatasetFiles(def([url]), { ...fast, cacheDir });
    assert.equal(got.origins.trainLabels, `${url}train-labels-idx1-ubyte`);
    assert.equal(sha256(readFileSync(got.files.trainLabels)), TINY_SHA256.trainLabels);
  });
});

test('a truncated body is rejected, leaves no partial file, and the next mirror is tried', async () => {
  const cacheDir = freshCache();
  const truncating: Handler = (req, res) => {
    const body = readFileSync(join(tinyDir, (req.url ?? '').slice(1)));
    res.writeHead(200, { 'content-length': body.length });
    res.write(body.subarray(0, Math.floor(body.length / 2)));
    setTimeout(() => res.socket?.destroy(), 20);
  };
  await withServer(truncating, async (badUrl) => {
    await assert.rejects(fetchDatasetFiles(def([badUrl]), { ...fast, cacheDir }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ERR_DATASET_UNAVAILABLE');
      assert.match(e.message, new RegExp(`${badUrl}train-images-idx3-ubyte.gz: .*(truncated|closed|reset)`));
      return true;
    });
    assert.deepEqual(cachedFiles(cacheDir), [], 'no partial or temporary file is left');
    await withServer(serveTiny, async (goodUrl) => {
      const got = await fetchDatasetFiles(def([badUrl, goodUrl]), { ...fast, cacheDir });
      assert.equal(got.origins.trainImages, `${goodUrl}train-images-idx3-ubyte.gz`);
    });
  });
});

test('a file with the wrong content fails its checksum and is never stored', async () => {
  const cacheDir = freshCache();
  // A well-formed IDX file of the right size, but not the pinned one.
  const impostor = gzipSync(encodeIdx([3, 4, 5], new Array(60).fill(7)));
  await withServer((_req, res) => res.writeHead(200, { 'content-length': impostor.length }).end(impostor), async (url) => {
    await assert.rejects(fetchDatasetFiles(def([url]), { ...fast, cacheDir }), (e: Error & { code?: string; exitCode?: number }) => {
      assert.equal(e.code, 'ERR_DATASET_UNAVAILABLE');
      assert.equal(e.exitCode, 1);
      assert.match(e.message, /train-images-idx3-ubyte\.gz: checksum mismatch: SHA-256 is [0-9a-f]{12}\.\.\., expected 3563face76a1\.\.\./);
      return true;
    });
  });
  assert.deepEqual(cachedFiles(cacheDir), []);
});

test('redirects are followed, relative ones included, up to a limit', async () => {
  const cacheDir = freshCache();
  const redirecting: Handler = (req, res) => {
    if (req.url?.startsWith('/moved/')) return serveTiny(req, res);
    res.writeHead(302, { location: `/moved${req.url}` }).end();
  };
  await withServer(redirecting, async (url, requests) => {
    const got = await fetchDatasetFiles(def([url]), { ...fast, cacheDir });
    assert.equal(sha256(readFileSync(got.files.testImages)), TINY_SHA256.testImages);
    assert.ok(requests.includes('/moved/t10k-images-idx3-ubyte.gz'));
  });
  const loop: Handler = (req, res) => res.writeHead(301, { location: req.url ?? '/' }).end();
  await withServer(loop, async (url) => {
    await assert.rejects(fetchDatasetFiles(def([url]), { ...fast, cacheDir: freshCache(), maxRedirects: 3 }), /too many redirects \(more than 3\)/);
  });
});

test('a server that stalls is given up after the inactivity timeout; a slow trickle after the overall one', async () => {
  const stalling: Handler = (_req, res) => {
    res.writeHead(200, { 'content-length': 1000 });
    res.write(Buffer.alloc(10)); // then nothing
  };
  await withServer(stalling, async (url) => {
    const started = Date.now();
    await assert.rejects(
      fetchDatasetFiles(def([url]), { cacheDir: freshCache(), extraMirrors: [], idleTimeoutMs: 200, timeoutMs: 10_000 }),
      /no data for 200 ms \(timed out\)/,
    );
    assert.ok(Date.now() - started < 3000, 'gave up promptly');
  });
  const trickling: Handler = (_req, res) => {
    res.writeHead(200, { 'content-length': 1000 });
    const timer = setInterval(() => res.write(Buffer.alloc(1)), 20);
    res.on('close', () => clearInterval(timer));
  };
  await withServer(trickling, async (url) => {
    const cacheDir = freshCache();
    await assert.rejects(
      fetchDatasetFiles(def([url]), { cacheDir, extraMirrors: [], idleTimeoutMs: 1000, timeoutMs: 300 }),
      /gave up after 300 ms \(timed out\)/,
    );
    assert.deepEqual(cachedFiles(cacheDir), []);
  });
});

test('when every source fails, one error lists each source and its reason, and what to do', async () => {
  const cacheDir = freshCache();
  const emptyDir = mkdtempSync(join(scratch, 'cnn-empty-'));
  await withServer((_req, res) => res.writeHead(500).end(), async (url) => {
    const broken = tinyDefinition('tiny', [url, 'http://127.0.0.1:9/'], [emptyDir]);
    await assert.rejects(fetchDatasetFiles(broken, { ...fast, cacheDir }), (e: Error & { code?: string; exitCode?: number }) => {
      assert.equal(e.code, 'ERR_DATASET_UNAVAILABLE');
      assert.equal(e.exitCode, 1);
      const m = e.message;
      assert.match(m, /no source has a good copy of train-images-idx3-ubyte/);
      assert.match(m, /- cache .*tiny\/train-images-idx3-ubyte: not there/);
      assert.match(m, new RegExp(`- ${emptyDir}: not there`));
      assert.match(m, new RegExp(`- ${url}train-images-idx3-ubyte.gz: HTTP 500`));
      assert.match(m, /- http:\/\/127\.0\.0\.1:9\/train-images-idx3-ubyte\.gz: connection refused/);
      assert.match(m, /apt-get install tiny-package/);
      assert.match(m, /CNN_DATASET_MIRROR=URL/);
      assert.match(m, /--data-dir DIR/);
      return true;
    });
  });
});

test('CNN_DATASET_MIRROR is tried before the built-in mirrors', async () => {
  const cacheDir = freshCache();
  await withServer(serveTiny, async (url) => {
    const saved = process.env.CNN_DATASET_MIRROR;
    process.env.CNN_DATASET_MIRROR = url;
    try {
      const got = await fetchDatasetFiles(def(['http://127.0.0.1:9/']), { cacheDir, idleTimeoutMs: 2000 });
      assert.equal(got.origins.trainImages, `${url}train-images-idx3-ubyte.gz`);
    } finally {
      if (saved === undefined) delete process.env.CNN_DATASET_MIRROR;
      else process.env.CNN_DATASET_MIRROR = saved;
    }
  });
});

test('an AbortSignal cancels a download and removes the partial file', async () => {
  const cacheDir = freshCache();
  const stalling: Handler = (_req, res) => {
    res.writeHead(200, { 'content-length': 1000 });
    res.write(Buffer.alloc(10));
  };
  await withServer(stalling, async (url) => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    await assert.rejects(fetchDatasetFiles(def([url]), { ...fast, cacheDir, signal: controller.signal }), (e: Error & { code?: string; exitCode?: number }) => {
      assert.equal(e.code, 'ERR_INTERRUPTED');
      assert.equal(e.exitCode, 130);
      return true;
    });
  });
  assert.deepEqual(cachedFiles(cacheDir), []);
});

test('Ctrl-C during a download removes the temporary file and exits with 130', async () => {
  const cacheDir = freshCache();
  let firstByteSent!: () => void;
  const sending = new Promise<void>((resolve) => (firstByteSent = resolve));
  const stalling: Handler = (_req, res) => {
    res.writeHead(200, { 'content-length': 1000 });
    res.write(Buffer.alloc(10), () => firstByteSent());
  };
  await withServer(stalling, async (url) => {
    const script = `
      import { fetchDatasetFiles } from ${JSON.stringify(join(packageRoot, 'dist/src/data/index.js'))};
      import { tinyDefinition } from ${JSON.stringify(join(packageRoot, 'dist/test/fixtures/data/loopback-server.js'))};
      fetchDatasetFiles(tinyDefinition('tiny', [${JSON.stringify(url)}]), { cacheDir: ${JSON.stringify(cacheDir)}, extraMirrors: [] })
        .then(() => process.exit(0), (e) => { process.stderr.write(e.code + ' ' + e.message); process.exit(e.exitCode ?? 1); });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await sending;
    await new Promise((r) => setTimeout(r, 100));
    const partial = cachedFiles(cacheDir).filter((f) => f.includes('.part-'));
    assert.equal(partial.length, 1, 'a temporary file exists while downloading');
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 130, stderr);
    assert.match(stderr, /ERR_INTERRUPTED/);
    assert.deepEqual(cachedFiles(cacheDir), []);
  });
});

test('a damaged cached file is set aside and fetched again', async () => {
  const cacheDir = freshCache();
  mkdirSync(join(cacheDir, 'tiny'), { recursive: true });
  const damaged = readFileSync(join(tinyDir, 'train-labels-idx1-ubyte'));
  damaged[9] ^= 1;
  writeFileSync(join(cacheDir, 'tiny', 'train-labels-idx1-ubyte'), damaged);
  const statuses: string[] = [];
  await withServer(serveTiny, async (url) => {
    const got = await fetchDatasetFiles(def([url]), { ...fast, cacheDir, onStatus: (s) => statuses.push(s) });
    assert.equal(got.origins.trainLabels, `${url}train-labels-idx1-ubyte.gz`);
    assert.equal(sha256(readFileSync(got.files.trainLabels)), TINY_SHA256.trainLabels);
  });
  assert.deepEqual(readFileSync(join(cacheDir, 'tiny', 'train-labels-idx1-ubyte.corrupt')), damaged);
  assert.ok(statuses.some((s) => /failed its check .*set aside/.test(s)), statuses.join('\n'));
});
