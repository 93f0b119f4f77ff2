/**
 * Faults in a data-parallel run never hang it: a rank killed with SIGKILL, a rank that fails to start,
 * and a rank that stops answering (SIGSTOP) all end every rank within seconds, with a message naming
 * the rank and its host; rank 0's last checkpoint stays a valid weights file. Skipped without mpirun.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonEvents, mpiSkipReason, runMpi, spawnMpi, writeShardDataset } from '../helpers/mpi.js';
import { cnnBin } from '../helpers/cli.js';
import { readWeightsFile } from '../../src/model/weights-file.js';

const skip = mpiSkipReason();
const home = mkdtempSync(join(tmpdir(), 'cnn-mpi-faults-'));
const env = { CNN_HOME: join(home, '.cnn'), CNN_THREADS: '1' };
test.after(() => rmSync(home, { recursive: true, force: true }));
const config = writeShardDataset(join(home, 'data'));

/** The pid of the rank whose command line holds `marker` (its --out) and whose MPI rank is `rank`. */
function rankPid(marker: string, rank: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmd.includes(marker) || !cmd.includes(cnnBin) || cmd.startsWith('mpirun')) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (environ.includes(`OMPI_COMM_WORLD_RANK=${rank}`)) return Number(entry);
    } catch {
      // gone, or not ours
    }
  }
  return undefined;
}

/** Starts a long 2-rank run; resolves once `epochs` epochs are reported, with the child and its output. */
async function longRun(out: string, extraEnv: NodeJS.ProcessEnv = {}) {
  const child = spawnMpi(2, ['train', '--config', config, '--epochs', '100000', '--out', out, '--json'], { cwd: home, env: { ...process.env, ...env, ...extraEnv }, mpiArgs: Object.keys(extraEnv).flatMap((k) => ['-x', k]) });
  const output = { stdout: '', stderr: '' };
  child.stderr!.on('data', (d) => (output.stderr += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      output.stdout += d;
      if (jsonEvents(output.stdout).filter((e) => e.event === 'epoch').length >= 2) resolve();
    });
    child.on('exit', (c) => reject(new Error(`mpirun ended early (exit ${c}):\n${output.stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { child, output, exited };
}

test('a rank killed with SIGKILL mid-run ends every rank within 10 s, naming the rank and host; the checkpoint stays valid', { skip }, async () => {
  const out = join(home, 'killed.bin');
  const run = await longRun(out);
  const pid = rankPid(out, 1);
  assert.ok(pid, 'rank 1 not found in /proc');
  const t0 = Date.now();
  process.kill(pid, 'SIGKILL');
  const code = await run.exited;
  const seconds = (Date.now() - t0) / 1000;
  assert.ok(seconds < 10, `the job took ${seconds} s to end`);
  assert.notEqual(code, 0);
  // Open MPI's mpirun says it: "mpirun noticed that process rank 1 with PID ... on node HOST exited on signal 9 (Killed)."
  assert.match(run.output.stderr, new RegExp(`rank 1 .*on node ${hostname()}.*signal 9`));
  const saved = await readWeightsFile(out); // the last epoch rank 0 saved, whole
  assert.ok((saved.training as { epoch: number }).epoch >= 2);
  assert.equal(rankPid(out, 0), undefined, 'rank 0 is still running');
});

test('a rank that stops answering (SIGSTOP) ends the job after CNN_MPI_TIMEOUT, naming the rank and host that waited', { skip }, async () => {
  const out = join(home, 'stopped.bin');
  const run = await longRun(out, { CNN_MPI_TIMEOUT: '2' });
  const pid = rankPid(out, 1);
  assert.ok(pid, 'rank 1 not found in /proc');
  const t0 = Date.now();
  process.kill(pid, 'SIGSTOP');
  const code = await run.exited;
  const seconds = (Date.now() - t0) / 1000;
  assert.ok(seconds < 10, `the job took ${seconds} s to end`);
  assert.notEqual(code, 0);
  assert.match(run.output.stderr, new RegExp(`^cnn: error: rank 0 \\(host ${hostname()}\\): no answer from the other ranks within 2 s`, 'm'));
  await readWeightsFile(out);
});

test('a rank that fails before training ends every rank at once, with its rank, host and reason', { skip }, () => {
  // MPMD: rank 1 gets a config that does not exist; rank 0 would train for a long time.
  const t0 = Date.now();
  const r = runMpi(1, ['train', '--config', config, '--epochs', '100000', '--out', join(home, 'never.bin'), ':', '-np', '1', process.execPath, cnnBin, 'train', '--config', join(home, 'missing.json'), '--out', join(home, 'never.bin')], { cwd: home, env });
  assert.ok(Date.now() - t0 < 20_000);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`^cnn: error: rank 1 \\(host ${hostname()}\\): cannot read the model config .*missing\\.json`, 'm'));
  assert.equal(existsSync(join(home, 'never.bin')), false);
});
