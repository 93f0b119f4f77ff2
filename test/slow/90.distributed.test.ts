/**
 * Data-parallel training under Open MPI (`mpirun -np N cnn train`): N ranks train the weights one
 * process trains on the same global batches (float rounding apart: the gradient sums run in another
 * order), on shards as uneven as 10 examples over 3 ranks, with a Dropout whose masks follow each
 * example to its rank; validation metrics are the same; a checkpoint resumes with another number of
 * ranks; Ctrl-C (mpirun forwards it to the ranks as SIGTERM) stops every rank after the same batch
 * with a checkpoint. Without mpirun these tests skip and say why; the ones about a build without MPI
 * and about the launchers' environment always run.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cnnBin, runCli } from '../helpers/cli.js';
import { jsonEvents, maxWeightDiff, mpiSkipReason, runMpi, spawnMpi, writeShardDataset } from '../helpers/mpi.js';
import { launchEnvironment } from '../../src/distributed/detect.js';
import { readWeightsFile, writeWeightsFile } from '../../src/model/weights-file.js';
import { packageRoot } from '../../src/version.js';

const skip = mpiSkipReason();
const home = mkdtempSync(join(tmpdir(), 'cnn-mpi-test-'));
const env = { CNN_HOME: join(home, '.cnn'), CNN_THREADS: '1' };
test.after(() => rmSync(home, { recursive: true, force: true }));
const config = writeShardDataset(join(home, 'data'));
// Float sums in another order: the weights agree to a few float32 ulps after 2 epochs.
const TOLERANCE = 1e-5;

function single(args: string[]) {
  const r = runCli(['train', ...args, '--json'], { env, cwd: home });
  assert.equal(r.status, 0, r.stderr);
  return r;
}

function ranks(np: number, args: string[]) {
  const r = runMpi(np, ['train', ...args, '--json'], { cwd: home, env });
  assert.equal(r.status, 0, `mpirun -np ${np} failed:\n${r.stderr}`);
  return r;
}

function epochs(stdout: string) {
  return jsonEvents(stdout).filter((e) => e.event === 'epoch');
}

test('the launchers are recognized from their own environment, and nothing else is taken for one', () => {
  assert.deepEqual(launchEnvironment({ OMPI_COMM_WORLD_RANK: '2', OMPI_COMM_WORLD_SIZE: '4' }), { variable: 'OMPI_COMM_WORLD_RANK', rank: 2, size: 4 });
  assert.deepEqual(launchEnvironment({ PMI_RANK: '0', PMI_SIZE: '3' }), { variable: 'PMI_RANK', rank: 0, size: 3 });
  assert.deepEqual(launchEnvironment({ PMIX_RANK: '1' }), { variable: 'PMIX_RANK', rank: 1 });
  assert.equal(launchEnvironment({ PMI_RANK: 'x' }), undefined);
  assert.equal(launchEnvironment({ HOME: '/root' }), undefined);
  // srun of 4 tasks without an MPI plugin is a launch (MPI would start each alone); one task is not.
  assert.deepEqual(launchEnvironment({ SLURM_PROCID: '3', SLURM_NTASKS: '4' }), { variable: 'SLURM_PROCID', rank: 3, size: 4 });
  assert.equal(launchEnvironment({ SLURM_PROCID: '0', SLURM_NTASKS: '1' }), undefined);
});

test('--distributed with a cnn built without MPI says what to install, exit code 2', () => {
  // A copy of the addon alone in a folder: what a build without libcnn_mpi.so looks like.
  const dir = join(home, 'no-mpi');
  mkdirSync(dir);
  copyFileSync(join(packageRoot, 'build', 'Release', 'cnn.node'), join(dir, 'cnn.node'));
  const r = runCli(['train', '--config', config, '--distributed', '--out', join(dir, 'w.bin')], { env: { ...env, CNN_ADDON_PATH: join(dir, 'cnn.node') }, cwd: home });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^cnn: error: --distributed: this cnn was built without MPI support .*apt-get install openmpi-bin libopenmpi-dev.*npm run build/m);
  const info = runCli(['info'], { env: { ...env, CNN_ADDON_PATH: join(dir, 'cnn.node') } });
  assert.match(info.stdout, /^mpi: +not built: /m);
});

test('a run without MPI loads no MPI library; a --distributed one does', { skip }, () => {
  // The CLI's main() in a process that reads its own memory map after training.
  const script = (args: string[]) =>
    `const { main } = await import(${JSON.stringify(join(packageRoot, 'dist', 'src', 'cli', 'index.js'))});` +
    `const code = await main(['node', 'cnn', ...${JSON.stringify(args)}]);` +
    `const maps = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8');` +
    `process.stdout.write(JSON.stringify({ code, mpi: /libmpi|libcnn_mpi/.test(maps) }) + '\\n'); process.exit(0);`;
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script(['train', '--config', config, '--epochs', '1', '--limit', '20', '--json', ...args])], { encoding: 'utf8', cwd: home, env: { ...process.env, ...env } });
    const line = r.stdout.split('\n').find((l) => l.startsWith('{"code"'));
    assert.ok(line, r.stderr);
    return JSON.parse(line) as { code: number; mpi: boolean };
  };
  assert.deepEqual(run(['--out', join(home, 'plain.bin')]), { code: 0, mpi: false });
  assert.deepEqual(run(['--out', join(home, 'dist1.bin'), '--distributed']), { code: 0, mpi: true });
});

test('tasks that MPI does not see as one job (srun without --mpi) are refused, not trained alone', { skip }, () => {
  const r = runCli(['train', '--config', config, '--out', join(home, 'alone.bin')], { env: { ...env, SLURM_PROCID: '0', SLURM_NTASKS: '2' }, cwd: home });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^cnn: error: the launcher started 2 processes but MPI sees 1: .*srun --mpi=pmix/m);
});

test('cnn info names the MPI library it was built with', { skip }, () => {
  const r = runCli(['info', '--json'], { env });
  const info = JSON.parse(r.stdout) as { mpi: { built: boolean; library: string } };
  assert.equal(info.mpi.built, true);
  assert.match(info.mpi.library, /Open MPI v\d/);
});

test('2 and 3 ranks train the weights and metrics of one process on the same global batches', { skip }, async (t) => {
  const one = single(['--config', config, '--out', join(home, 'one.bin')]);
  const two = ranks(2, ['--config', config, '--out', join(home, 'two.bin')]);
  const three = ranks(3, ['--config', config, '--out', join(home, 'three.bin')]);
  for (const [name, run, file] of [['2', two, 'two.bin'], ['3', three, 'three.bin']] as const) {
    const diff = await maxWeightDiff(join(home, 'one.bin'), join(home, file));
    assert.ok(diff < TOLERANCE, `${name} ranks: max abs weight difference ${diff}`);
    t.diagnostic(`${name} ranks: max abs weight difference to one process ${diff}`);
    const [a, b] = [epochs(one.stdout), epochs(run.stdout)];
    assert.equal(b.length, 2, `${name} ranks: rank 0 alone prints, once per epoch:\n${run.stdout}`);
    for (let e = 0; e < 2; e++) {
      assert.ok(Math.abs((a[e].loss as number) - (b[e].loss as number)) < 1e-5, `${name} ranks, epoch ${e + 1} loss`);
      assert.equal(b[e].accuracy, a[e].accuracy, `${name} ranks, epoch ${e + 1} accuracy`);
      assert.equal(b[e].val_accuracy, a[e].val_accuracy, `${name} ranks, epoch ${e + 1} validation accuracy (sharded)`);
    }
    assert.equal(jsonEvents(run.stdout).filter((e) => e.event === 'saved').length, 1);
  }
  // The history beside the weights is rank 0's, the same as one process's.
  const history = (f: string) => (JSON.parse(readFileSync(join(home, f), 'utf8')) as { history: { accuracy: number }[] }).history.map((r) => r.accuracy);
  assert.deepEqual(history('three.history.json'), history('one.history.json'));
});

test('a batch_size smaller than the number of ranks still trains as one process (some shards are empty)', { skip }, async () => {
  single(['--config', config, '--batch-size', '2', '--epochs', '1', '--limit', '40', '--out', join(home, 'small1.bin')]);
  ranks(3, ['--config', config, '--batch-size', '2', '--epochs', '1', '--limit', '40', '--out', join(home, 'small3.bin')]);
  const diff = await maxWeightDiff(join(home, 'small1.bin'), join(home, 'small3.bin'));
  assert.ok(diff < TOLERANCE, `max abs weight difference ${diff}`);
});

test('a 2-rank checkpoint resumes with 1 rank and with 3 ranks to the weights of one uninterrupted process', { skip }, async (t) => {
  single(['--config', config, '--epochs', '3', '--out', join(home, 'straight.bin')]);
  ranks(2, ['--config', config, '--epochs', '1', '--out', join(home, 'ck.bin')]);
  copyFileSync(join(home, 'ck.bin'), join(home, 'ck1.bin'));
  copyFileSync(join(home, 'ck.bin'), join(home, 'ck3.bin'));
  single(['--resume', join(home, 'ck1.bin'), '--epochs', '3']);
  ranks(3, ['--resume', join(home, 'ck3.bin'), '--epochs', '3']);
  for (const f of ['ck1.bin', 'ck3.bin']) {
    const diff = await maxWeightDiff(join(home, 'straight.bin'), join(home, f));
    assert.ok(diff < TOLERANCE, `${f}: max abs weight difference ${diff}`);
    t.diagnostic(`${f}: max abs weight difference to one process ${diff}`);
  }
});

/**
 * mpirun's Ctrl-C: SIGCONT to the ranks at once, SIGTERM 1 s later (odls_base_sigkill_timeout), SIGKILL
 * 1 s after that, and nothing read from the ranks' output in between. Starts a 2-rank run and presses
 * Ctrl-C once rank 0 has printed `afterEpochs` epoch lines.
 */
async function interruptUnderMpirun(cfg: string, out: string, afterEpochs: number, mpiArgs: string[] = []) {
  const child = spawnMpi(2, ['train', '--config', cfg, '--epochs', '100000', '--out', out, '--json'], { cwd: home, env: { ...process.env, ...env }, mpiArgs });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const started = new Promise<void>((resolve) => {
    child.stdout!.on('data', (d) => {
      stdout += d;
      if (epochs(stdout).length >= afterEpochs) resolve();
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  await started;
  const printed = epochs(stdout).length;
  child.kill('SIGINT');
  const code = await exited;
  // mpirun may exit before its ranks have: rank 0 drops its lock on the output when it ends.
  for (const until = Date.now() + 10_000; existsSync(`${out}.lock`) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
  return { code, stdout, stderr, printed };
}

// Epochs of about a sixth of a second (10,000 images): what rank 0 prints while mpirun is not reading
// fits in its terminal's buffer, so every line arrives, the last one the "interrupted" event.
test('Ctrl-C to mpirun: every rank stops after the same batch, rank 0 saves a checkpoint that resumes', { skip }, async () => {
  const dir = join(home, 'ctrl-c');
  const cfg = writeShardDataset(dir, {}, 10_000);
  const out = join(dir, 'int.bin');
  const { code, stdout, stderr } = await interruptUnderMpirun(cfg, out, 1);
  assert.ok(!existsSync(`${out}.lock`), 'rank 0 ended within 10 s of mpirun');
  const stopped = jsonEvents(stdout).find((e) => e.event === 'interrupted');
  assert.ok(stopped, `no "interrupted" event (mpirun exit ${code}):\n${stdout}\n${stderr}`);
  // Open MPI's mpirun turns Ctrl-C into SIGTERM for the ranks, and itself exits 1 after a signal.
  assert.equal(stopped.signal, 'SIGTERM');
  assert.equal(stopped.path, out);
  const saved = (await readWeightsFile(out)).training as { epoch: number; step: number };
  assert.deepEqual([saved.epoch + 1, saved.step], [stopped.epoch, stopped.step], 'the checkpoint is where the run says it stopped');
  assert.doesNotMatch(stderr, /cnn: error/);
  // The checkpoint continues: finishing its epoch on the same 2 ranks gives, bit for bit, the weights of
  // a 2-rank run that was never interrupted. (Against one process, or on another number of ranks, the
  // sums run in another order: after the 30-odd epochs that run before mpirun's SIGTERM lands at this
  // speed, that drift reached 5e-4 to 1e-2 through ReLU and dropout flips, too much to tell a wrong
  // resume from it.)
  const epoch = stopped.epoch as number;
  ranks(2, ['--resume', out, '--epochs', String(epoch)]);
  ranks(2, ['--config', cfg, '--epochs', String(epoch), '--out', join(dir, 'int-straight.bin')]);
  const diff = await maxWeightDiff(join(dir, 'int-straight.bin'), out);
  assert.equal(diff, 0, `max abs weight difference ${diff} after ${epoch} epochs`);
});

// Epochs of a millisecond, each an output line: rank 0 fills its terminal's buffer while mpirun sleeps
// before its SIGTERM (2 s here instead of 1, so that it always does). With synchronous writes rank 0
// then blocked in write(), never ran its SIGTERM handler and was killed with its lock left behind
// (every run with the 2 s; about half the runs with mpirun's default 1 s). Its output is now
// non-blocking: the signal is handled, the batch ends, the checkpoint is saved and the lock removed,
// although the lines queued behind the full terminal (the "interrupted" event among them) may be lost.
test('Ctrl-C to mpirun while rank 0 prints faster than mpirun reads: the checkpoint is still saved and the lock removed', { skip }, async () => {
  const dir = join(home, 'ctrl-c-fast');
  const cfg = writeShardDataset(dir);
  const out = join(dir, 'int.bin');
  const { stdout, stderr, printed } = await interruptUnderMpirun(cfg, out, 3, ['--mca', 'odls_base_sigkill_timeout', '2']);
  assert.ok(!existsSync(`${out}.lock`), `rank 0 was killed before it finished (lock left behind):\n${stdout.split('\n').slice(-3).join('\n')}\n${stderr}`);
  const saved = (await readWeightsFile(out)).training as { epoch: number; step: number };
  // mpirun's SIGTERM came a second after the Ctrl-C: rank 0 trained on meanwhile, then saved.
  assert.ok(saved.epoch + 1 > printed, `the checkpoint (epoch ${saved.epoch + 1}, step ${saved.step}) is past the ${printed} epochs printed at Ctrl-C`);
  ranks(2, ['--resume', out, '--epochs', String(saved.epoch + 2)]);
  assert.equal(((await readWeightsFile(out)).training as { epoch: number }).epoch, saved.epoch + 2);
});

test('a loss that becomes NaN stops every rank at the same step; rank 0 alone says so and keeps the last good weights', { skip }, async () => {
  const dir = join(home, 'nan');
  const nan = writeShardDataset(dir, { optimizer: { type: 'sgd', learning_rate: 1e9 } });
  const r = runMpi(2, ['train', '--config', nan, '--out', join(dir, 'nan.bin'), '--json'], { cwd: home, env });
  assert.equal(r.status, 1, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('cnn: error:'));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0], /^cnn: error: the loss became NaN or infinite at epoch 1, step \d+; .*The last good weights are in .*nan\.bin$/);
  const one = runCli(['train', '--config', nan, '--out', join(dir, 'nan1.bin'), '--json'], { env, cwd: home });
  assert.equal(one.status, 1);
  assert.equal(errors[0].replace(/nan\.bin$/, ''), one.stderr.trim().replace(/nan1\.bin$/, ''), 'the same step as one process');
  // The last good step's weights, as one process saved them (huge after lr 1e9: compared relative to their size).
  const [a, b] = await Promise.all([readWeightsFile(join(dir, 'nan.bin')), readWeightsFile(join(dir, 'nan1.bin'))]);
  const position = (w: typeof a) => { const t = w.training as Record<string, unknown>; return [t.epoch, t.step, t.seen, t.correct, t.lossSum]; };
  assert.deepEqual(position(a), position(b));
  const scale = Math.max(...b.tensors.map((t) => Math.max(...Array.from(t.data, Math.abs))));
  assert.ok((await maxWeightDiff(join(dir, 'nan.bin'), join(dir, 'nan1.bin'))) <= scale * 1e-5);
});

test('callbacks that write files run on rank 0 only; those that steer training run on every rank alike', { skip }, async () => {
  const dir = join(home, 'callbacks');
  const withCallbacks = writeShardDataset(dir, {
    epochs: 3,
    callbacks: [
      { type: 'CSVLogger', filename: 'log.csv' },
      { type: 'ModelCheckpoint', filepath: 'best.weights.bin', save_freq: 2 },
      { type: 'ReduceLROnPlateau', monitor: 'loss', patience: 0, factor: 0.5, min_delta: 10 },
    ],
  });
  // MPMD, so that rank 1 runs in its own folder: a relative callback path it wrote would be there.
  const [a, b, c] = ['r0', 'r1', 'one'].map((d) => join(dir, d));
  for (const d of [a, b, c]) mkdirSync(d);
  const train = ['train', '--config', withCallbacks, '--out', join(dir, 'two.bin'), '--json'];
  const r = runMpi(1, [...train, ':', '-wdir', b, '-np', '1', process.execPath, cnnBin, ...train], { cwd: a, env, mpiArgs: ['-wdir', a] });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(b), [], 'rank 1 wrote files');
  assert.deepEqual(readdirSync(a).sort(), ['best.weights.bin', 'log.csv']);
  const one = runCli(['train', '--config', withCallbacks, '--out', join(dir, 'one.bin'), '--json'], { env, cwd: c });
  assert.equal(one.status, 0, one.stderr);
  // ReduceLROnPlateau halves the rate after every epoch on both ranks: the weights still agree.
  const diff = await maxWeightDiff(join(dir, 'one.bin'), join(dir, 'two.bin'));
  assert.ok(diff < TOLERANCE, `max abs weight difference ${diff}`);
  assert.equal(readFileSync(join(a, 'log.csv'), 'utf8').split('\n').length, readFileSync(join(c, 'log.csv'), 'utf8').split('\n').length);
});

test('ranks that start from different weights are stopped before training, naming the rank', { skip }, async () => {
  const dir = join(home, 'differ');
  mkdirSync(dir);
  ranks(2, ['--config', config, '--epochs', '1', '--out', join(dir, 'a.bin')]);
  // b.bin: the same checkpoint with one weight changed, as a stale copy on another host would be.
  const contents = await readWeightsFile(join(dir, 'a.bin'));
  contents.tensors[0].data[0] += 0.5;
  await writeWeightsFile(join(dir, 'b.bin'), contents);
  const r = runMpi(1, ['train', '--resume', join(dir, 'a.bin'), '--epochs', '2', ':', '-np', '1', process.execPath, cnnBin, 'train', '--resume', join(dir, 'b.bin'), '--epochs', '2'], { cwd: home, env });
  assert.equal(r.status, 1, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('cnn: error:'));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0], new RegExp(`^cnn: error: the weights differ between the ranks before training: rank 1 \\(host ${hostname()}\\) holds other weights than rank 0 .*the same checkpoint`));
  assert.equal((await readWeightsFile(join(dir, 'a.bin'))).training?.epoch, 1, 'a.bin was not touched');
});
