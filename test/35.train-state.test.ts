/**
 * `cnn train` and `cnn export` never lose work or misreport what was saved: a closed stdout/stderr,
 * a missing --config, unwritable outputs, SIGTERM, the history beside the weights, a full disk
 * (a real small tmpfs, mounted in a private mount namespace with `unshare -m`; skipped where the
 * sandbox forbids mounts), stale temporary files, custom-dataset paths, export over an existing
 * folder, and two runs on the same --out. Every run is the real CLI on real MNIST, a few hundred
 * images, so the suite stays quick.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cnnBin, runCli } from './helpers/cli.js';
import { firstAsProcess, runCliHere } from './helpers/cli-here.js';
import { readWeightsFile } from '../src/model/weights-file.js';
import { warmDatasetHome } from './helpers/warm-datasets.js';

const home = mkdtempSync(join(tmpdir(), 'cnn-state-test-'));
const env = { CNN_HOME: warmDatasetHome(join(home, '.cnn'), ['mnist']), CNN_THREADS: '1' };
test.after(() => rmSync(home, { recursive: true, force: true }));

let dirs = 0;
function freshDir(): string {
  const d = join(home, `d${++dirs}`);
  mkdirSync(d);
  return d;
}

function cli(args: string[], cwd = home) {
  return runCli(args, { env, cwd });
}

/** cnn's main() in this process, for checks that read only output and exit code (helpers/cli-here.ts). */
function cliHere(args: string[], cwd = home) {
  return runCliHere(args, { env, cwd });
}

interface Running {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout contains `text`. */
  seen(text: string): Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[], cwd = home): Running {
  const child = spawn(process.execPath, [cnnBin, ...args], { env: { ...process.env, ...env }, cwd });
  let out = '';
  let err = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout.on('data', (d) => {
    out += d;
    for (const w of waiters.splice(0)) if (out.includes(w.text)) w.resolve();
    else waiters.push(w);
  });
  child.stderr.on('data', (d) => (err += d));
  // Reading a pipe we destroyed on purpose must not fail the test process.
  child.stdout.on('error', () => {});
  child.stderr.on('error', () => {});
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    seen: (text) =>
      new Promise<void>((resolve, reject) => {
        if (out.includes(text)) return resolve();
        waiters.push({ text, resolve });
        void exit.then(() => reject(new Error(`exited before printing ${JSON.stringify(text)}:\n${out}\n${err}`)));
      }),
    exit,
  };
}

function temporaries(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith('.tmp'));
}

async function trainingOf(path: string): Promise<{ epoch: number; step: number; history: { epoch: number; loss: number }[] }> {
  return (await readWeightsFile(path)).training as never;
}

const noStack = /\n\s+at |EPIPE|Unhandled/;
const quick = ['--config', 'mnist.json', '--limit', '320', '--epochs', '1'];

// 1 ---------------------------------------------------------------------------------------------

test('a closed stdout (| head -1) stops only the output: training goes on, saves and exits 0', async () => {
  const dir = freshDir();
  const out = join(dir, 'w.bin');
  const run = start(['train', '--config', 'mnist.json', '--limit', '640', '--epochs', '3', '--out', out]);
  await run.seen('Epoch 1/3');
  run.child.stdout.destroy(); // what `head -1` does after its line
  const { code } = await run.exit;
  assert.equal(code, 0, run.stderr());
  assert.doesNotMatch(run.stderr(), noStack);
  assert.equal((await trainingOf(out)).epoch, 3, 'all three epochs were trained and saved');
  assert.deepEqual(temporaries(dir), []);
});

test('a closed stderr does not stop Ctrl-C from saving the checkpoint', async () => {
  const dir = freshDir();
  const out = join(dir, 'w.bin');
  const run = start(['train', '--config', 'mnist.json', '--limit', '1000', '--epochs', '30', '--out', out]);
  run.child.stderr.destroy(); // the stop message then goes nowhere
  await run.seen('Epoch 2/30');
  run.child.kill('SIGINT');
  const { code } = await run.exit;
  assert.equal(code, 130, run.stdout());
  assert.ok((await trainingOf(out)).epoch >= 1);
  assert.deepEqual(temporaries(dir), []);
});

// 2 ---------------------------------------------------------------------------------------------

test('train without --config (and without --resume) is a usage error listing the shipped configs', () => {
  const dir = freshDir();
  const r = cli(['train', '--limit', '64', '--epochs', '1'], dir);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /^cnn: error: missing --config: .*fashion-mnist\.json, mnist\.json.*--resume/);
  assert.deepEqual(readdirSync(dir), [], 'nothing was trained or written');
  const help = cli(['train', '--help']);
  assert.match(help.stdout, /--config <name\|path>\s+required \(unless --resume\)/);
});

// 3 ---------------------------------------------------------------------------------------------

test('outputs that cannot be written are refused before training, naming the option and path', async () => {
  const dir = freshDir();
  mkdirSync(join(dir, 'h.history.json'));
  const run = firstAsProcess();
  for (const [args, pattern] of [
    [['--out', '/nonexistent/dir/w.bin'], /^cnn: error: --out \/nonexistent\/dir\/w\.bin: cannot write there: the folder \/nonexistent\/dir does not exist\n$/],
    [['--out', join(dir, 'p.bin'), '--plot', '/nonexistent/p.png'], /^cnn: error: --plot \/nonexistent\/p\.png: cannot write there: the folder \/nonexistent does not exist\n$/],
    [['--out', join(dir, 'h.bin')], /^cnn: error: --out .*h\.bin: cannot write its history .*h\.history\.json: it is a folder\n$/],
    [['--out', dir], /^cnn: error: --out .*: cannot write there: it is a folder\n$/],
  ] as const) {
    const r = await run(['train', ...quick, ...args], { env, cwd: dir });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stdout, /Epoch|\/step/, 'refused before any training');
  }
  assert.deepEqual(readdirSync(dir), ['h.history.json']);
});

// 4 ---------------------------------------------------------------------------------------------

test('SIGTERM checkpoints like Ctrl-C and exits 143; --resume continues from it', async () => {
  const dir = freshDir();
  const out = join(dir, 't.bin');
  const run = start(['train', '--config', 'mnist.json', '--limit', '1000', '--epochs', '30', '--out', out]);
  await run.seen('Epoch 2/30');
  run.child.kill('SIGTERM');
  const { code, signal } = await run.exit;
  assert.equal(signal, null, 'it exits by itself instead of being killed');
  assert.equal(code, 143, run.stderr());
  assert.match(run.stderr(), /SIGTERM: stopping after this batch/);
  assert.match(run.stderr(), new RegExp(`Terminated \\(SIGTERM\\) at epoch 2, step \\d+\\. Checkpoint saved to ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\nContinue with: cnn train --resume `));
  const t = await trainingOf(out);
  assert.equal(t.epoch, 1);
  const resumed = cli(['train', '--resume', out, '--epochs', '2', '--json'], dir);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal((await trainingOf(out)).epoch, 2);
});

// 5 ---------------------------------------------------------------------------------------------

test('the history beside the weights is theirs after every epoch; an earlier run\'s never stays', async () => {
  const dir = freshDir();
  const out = join(dir, 'h.bin');
  const history = join(dir, 'h.history.json');
  writeFileSync(history, JSON.stringify({ history: [{ epoch: 1, loss: 9, accuracy: 0.1 }], stale: true }));
  const run = start(['train', '--config', 'mnist.json', '--limit', '640', '--epochs', '30', '--json', '--out', out]);
  await run.seen('"epoch":2,'); // epoch 1 was saved before epoch 2 began
  run.child.kill('SIGKILL');
  await run.exit;
  const onDisk = JSON.parse(readFileSync(history, 'utf8')) as { history: { epoch: number; loss: number }[]; stale?: boolean };
  assert.equal(onDisk.stale, undefined, 'the stale history was replaced');
  const t = await trainingOf(out);
  assert.ok(t.history.length >= 1);
  assert.deepEqual(onDisk.history.map((r) => [r.epoch, r.loss]), t.history.map((r) => [r.epoch, r.loss]), 'the history is the weights file\'s own');
});

// 6 ---------------------------------------------------------------------------------------------

const canMount = (() => {
  const probe = mkdtempSync(join(tmpdir(), 'cnn-mount-probe-'));
  const r = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=1m tmpfs "$1"', 'sh', probe], { encoding: 'utf8' });
  rmSync(probe, { recursive: true, force: true });
  return r.status === 0;
})();
const mountSkip = canMount ? false : 'needs `unshare -m` and tmpfs mounts (root or CAP_SYS_ADMIN)';

/** Runs the CLI with `disk` a fresh tmpfs of `size` (filled with `filler` bytes); its files are copied to `copy`. */
function onSmallDisk(size: string, filler: number, args: (disk: string) => string[]) {
  const disk = freshDir();
  const copy = freshDir();
  const script = 'disk=$1; copy=$2; size=$3; filler=$4; shift 4; mount -t tmpfs -o size="$size" tmpfs "$disk" || exit 99; ' +
    'if [ "$filler" -gt 0 ]; then head -c "$filler" /dev/zero > "$disk/filler"; fi; "$@"; rc=$?; rm -f "$disk/filler"; cp -a "$disk/." "$copy/"; exit $rc';
  const r = spawnSync('unshare', ['-m', 'sh', '-c', script, 'sh', disk, copy, size, String(filler), process.execPath, cnnBin, ...args(disk)], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    cwd: home,
  });
  assert.notEqual(r.status, 99, r.stderr);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, disk, copy };
}

test('a full disk: the weights are written once at the end, and a failed history is reported as exactly that', { skip: mountSkip }, async () => {
  // A 2 MiB disk holds one weights file of this model (1.6 MB) but not a second copy beside it.
  const room = onSmallDisk('2m', 0, (disk) => ['train', ...quick, '--out', join(disk, 'w.bin')]);
  assert.equal(room.status, 0, room.stderr);
  assert.match(room.stdout, /Saved weights to .*w\.bin\n$/);
  assert.equal((await trainingOf(join(room.copy, 'w.bin'))).epoch, 1);
  assert.ok(existsSync(join(room.copy, 'w.history.json')));

  // Now fill the disk so that exactly the weights (and the lock file) fit, and the history does not.
  const pages = Math.ceil(statSync(join(room.copy, 'w.bin')).size / 4096);
  const full = onSmallDisk('2m', (512 - pages - 1) * 4096, (disk) => ['train', ...quick, '--out', join(disk, 'w.bin')]);
  assert.equal(full.status, 1, full.stdout + full.stderr);
  assert.match(
    full.stderr,
    /^cnn: error: saved the weights after epoch 1 to \S+w\.bin \(its history is inside it too\), but cannot write the history \S+w\.history\.json: no space left on device\n$/,
  );
  assert.doesNotMatch(full.stdout, /Saved weights/);
  assert.equal((await trainingOf(join(full.copy, 'w.bin'))).epoch, 1, 'the weights that were reported saved are valid');
  assert.deepEqual(readdirSync(full.copy), ['w.bin'], 'no history that does not belong, no temporary file, no lock');
});

// 7 ---------------------------------------------------------------------------------------------

test('temporary files of writers that died are removed at the next write; a live writer\'s are kept', () => {
  const dir = freshDir();
  const dead = spawnSync('true').pid!;
  const live = process.pid;
  const junk = Buffer.alloc(100_000);
  const names = {
    dead: `.s.bin.${dead}.abcd1234.tmp`,
    deadOldStyle: `.s.bin.${dead}.tmp`,
    live: `.s.bin.${live}.abcd1234.tmp`,
    otherTarget: `.other.bin.${dead}.abcd1234.tmp`,
  };
  for (const n of Object.values(names)) writeFileSync(join(dir, n), junk);
  const r = cli(['train', '--config', 'mnist.json', '--limit', '64', '--epochs', '1', '--out', join(dir, 's.bin')], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(temporaries(dir).sort(), [names.otherTarget, names.live].sort());
});

// 8 ---------------------------------------------------------------------------------------------

function writeIdx(path: string, dims: number[], values: (i: number) => number): void {
  const count = dims.reduce((a, b) => a * b, 1);
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(0x800 + dims.length, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  writeFileSync(path, Buffer.concat([head, Buffer.from(Array.from({ length: count }, (_, i) => values(i) & 255))]));
}

test('a custom dataset\'s relative IDX paths are stored absolute: eval and --resume work from any folder', async () => {
  const project = freshDir();
  mkdirSync(join(project, 'idx'));
  writeIdx(join(project, 'idx', 'train-images'), [64, 28, 28], (i) => i * 7919);
  writeIdx(join(project, 'idx', 'train-labels'), [64], (i) => i % 10);
  writeIdx(join(project, 'idx', 'test-images'), [32, 28, 28], (i) => i * 104729);
  writeIdx(join(project, 'idx', 'test-labels'), [32], (i) => (i * 3) % 10);
  const base = JSON.parse(readFileSync(new URL('../../data/mnist.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  const dataset = { train_images: 'idx/train-images', train_labels: 'idx/train-labels', test_images: 'idx/test-images', test_labels: 'idx/test-labels', classes: 10 };
  writeFileSync(join(project, 'custom.json'), JSON.stringify({ ...base, dataset }));

  const elsewhere = freshDir();
  const trained = cli(['train', '--config', join(project, 'custom.json'), '--epochs', '1', '--out', 'c.bin', '--json'], elsewhere);
  assert.equal(trained.status, 0, trained.stderr);
  const stored = (await readWeightsFile(join(elsewhere, 'c.bin'))).config as { dataset: Record<string, string> };
  assert.equal(stored.dataset.train_images, join(project, 'idx', 'train-images'));

  const third = freshDir();
  const evaluated = await cliHere(['eval', '--weights', join(elsewhere, 'c.bin'), '--json'], third);
  assert.equal(evaluated.status, 0, evaluated.stderr);
  assert.equal((JSON.parse(evaluated.stdout) as { images: number }).images, 32);
  const resumed = cli(['train', '--resume', join(elsewhere, 'c.bin'), '--epochs', '2', '--json'], third);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal((await trainingOf(join(elsewhere, 'c.bin'))).epoch, 2);
});

// 9 ---------------------------------------------------------------------------------------------

let exportWeights: string | undefined;
function weightsToExport(): string {
  if (!exportWeights) {
    exportWeights = join(freshDir(), 'e.bin');
    const r = cli(['train', '--config', 'mnist.json', '--limit', '64', '--epochs', '1', '--json', '--out', exportWeights]);
    assert.equal(r.status, 0, r.stderr);
  }
  return exportWeights;
}

test('export replaces only a previous cnn export unless --force; the old one is never half replaced', async () => {
  const dir = freshDir();
  const w = weightsToExport();
  const tfjs = join(dir, 'model');
  // The first export through the executable; the rest as main() here.
  assert.equal(cli(['export', '--weights', w, '--format', 'tfjs', '--out', tfjs]).status, 0);
  const again = await cliHere(['export', '--weights', w, '--format', 'tfjs', '--out', `${tfjs}/`]);
  assert.equal(again.status, 0, `a previous export is replaced: ${again.stderr}`);

  writeFileSync(join(tfjs, 'notes.txt'), 'mine');
  const refused = await cliHere(['export', '--weights', w, '--format', 'tfjs', '--out', tfjs]);
  assert.equal(refused.status, 2, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /^cnn: error: --out \S+model already exists and it holds notes\.txt, which cnn export does not write; add --force to replace it\n$/);
  assert.equal(readFileSync(join(tfjs, 'notes.txt'), 'utf8'), 'mine');
  const forced = await cliHere(['export', '--weights', w, '--format', 'tfjs', '--out', tfjs, '--force']);
  assert.equal(forced.status, 0, forced.stderr);
  assert.deepEqual(readdirSync(tfjs).sort(), ['model.json', 'weights.bin']);

  const onnx = join(dir, 'x.onnx');
  writeFileSync(onnx, 'not onnx');
  const refusedOnnx = await cliHere(['export', '--weights', w, '--out', onnx]);
  assert.equal(refusedOnnx.status, 2);
  assert.match(refusedOnnx.stderr, /--out \S+x\.onnx already exists and it is not an ONNX file written by cnn export; add --force/);
  assert.equal(readFileSync(onnx, 'utf8'), 'not onnx');
  rmSync(onnx);
  assert.equal((await cliHere(['export', '--weights', w, '--out', onnx])).status, 0);
  assert.equal((await cliHere(['export', '--weights', w, '--out', onnx])).status, 0, 'a previous ONNX export is replaced');
  assert.deepEqual(readdirSync(dir).sort(), ['model', 'x.onnx'], 'no staging folder or file is left');
});

test('export onto a full disk leaves nothing behind (not an empty folder)', { skip: mountSkip }, () => {
  const w = weightsToExport();
  const r = onSmallDisk('600k', 0, (disk) => ['export', '--weights', w, '--format', 'tfjs', '--out', join(disk, 'm')]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.deepEqual(readdirSync(r.copy), []);
  assert.match(r.stderr, /^cnn: error: cannot write the TensorFlow\.js model into \S+m: no space left on device; \S+m is unchanged\n$/);
});

// 10 --------------------------------------------------------------------------------------------

test('a second run on the same --out is refused naming the first; a dead run\'s lock is taken over', async () => {
  const dir = freshDir();
  const out = join(dir, 'same.bin');
  const first = start(['train', '--config', 'mnist.json', '--limit', '640', '--epochs', '30', '--json', '--out', out]);
  await first.seen('"event":"epoch"');
  const second = cli(['train', ...quick, '--seed', '5', '--out', out], dir);
  assert.equal(second.status, 1, second.stdout + second.stderr);
  assert.match(second.stderr, new RegExp(`^cnn: error: \\S+same\\.bin is being written by another cnn train \\(pid ${first.child.pid} on \\S+, started [^)]+\\); wait for it to finish or choose another --out \\(if that run is gone, remove \\S+same\\.bin\\.lock\\)\\n$`));
  assert.doesNotMatch(second.stdout, /Saved/);

  first.child.kill('SIGKILL'); // leaves its lock behind
  await first.exit;
  assert.ok(existsSync(`${out}.lock`));
  const third = cli(['train', ...quick, '--out', out], dir);
  assert.equal(third.status, 0, third.stderr);
  assert.ok(!existsSync(`${out}.lock`), 'the lock is released at the end');
});
