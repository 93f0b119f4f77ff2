/**
 * Two ranks on two machines, simulated on one: two Linux network namespaces joined by a veth pair
 * (10.77.x.1 and 10.77.x.2), each with its own host name (a UTS namespace), one rank in each. mpirun runs
 * in the first; Open MPI's rsh launcher reaches the second through a small agent script that plays
 * ssh with `ip netns exec`, and its TCP transport (btl and out-of-band) is restricted to that link. The
 * two ranks train the weights one process trains, and each reports its own host. Skipped unless root
 * (CAP_NET_ADMIN is needed to make namespaces) and mpirun is there.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cnnBin, runCli } from '../helpers/cli.js';
import { jsonEvents, maxWeightDiff, mpiSkipReason, writeShardDataset } from '../helpers/mpi.js';

const home = mkdtempSync(join(tmpdir(), 'cnn-mpi-hosts-'));
const env = { CNN_HOME: join(home, '.cnn'), CNN_THREADS: '1' };
const tag = `cnn${process.pid % 100000}`;
const subnet = `10.77.${process.pid % 250}`;
const [nsA, nsB] = [`${tag}a`, `${tag}b`];

function sh(cmd: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}` };
}

/** Makes the two namespaces and their link; returns why not when this machine cannot. */
function makeHosts(): string | undefined {
  const mpi = mpiSkipReason();
  if (mpi) return mpi;
  if (process.getuid?.() !== 0) return 'not root: making network namespaces needs CAP_NET_ADMIN';
  if (!sh(['ip', '-V']).ok) return 'the ip command (iproute2) is missing';
  if (!sh(['unshare', '--version']).ok) return 'unshare (util-linux) is missing';
  const steps = [
    ['ip', 'netns', 'add', nsA],
    ['ip', 'netns', 'add', nsB],
    ['ip', 'link', 'add', `${tag}va`, 'type', 'veth', 'peer', 'name', `${tag}vb`],
    ['ip', 'link', 'set', `${tag}va`, 'netns', nsA],
    ['ip', 'link', 'set', `${tag}vb`, 'netns', nsB],
    ['ip', '-n', nsA, 'addr', 'add', `${subnet}.1/24`, 'dev', `${tag}va`],
    ['ip', '-n', nsB, 'addr', 'add', `${subnet}.2/24`, 'dev', `${tag}vb`],
    ['ip', '-n', nsA, 'link', 'set', `${tag}va`, 'up'],
    ['ip', '-n', nsB, 'link', 'set', `${tag}vb`, 'up'],
    ['ip', '-n', nsA, 'link', 'set', 'lo', 'up'],
    ['ip', '-n', nsB, 'link', 'set', 'lo', 'up'],
  ];
  for (const step of steps) {
    const r = sh(step);
    if (!r.ok) return `cannot make the simulated hosts (${step.join(' ')}: ${r.out.trim()}); this sandbox forbids network namespaces`;
  }
  return undefined;
}

const skip = makeHosts();
test.after(() => {
  sh(['ip', 'netns', 'del', nsA]); // deleting a namespace deletes its end of the veth pair, and the pair
  sh(['ip', 'netns', 'del', nsB]);
  rmSync(home, { recursive: true, force: true });
});

test('2 ranks on two simulated hosts (network namespaces, TCP over a veth link) train as one process', { skip }, async () => {
  const config = writeShardDataset(join(home, 'data'));
  // plm_rsh_agent is called as `agent HOST COMMAND...`, like ssh: the command runs in HOST's namespace.
  const agent = join(home, 'netns-ssh.sh');
  writeFileSync(
    agent,
    [
      '#!/bin/sh',
      'host=$1; shift',
      `case "$host" in ${subnet}.2) ns=${nsB}; name=cnn-host-b;; *) ns=${nsA}; name=cnn-host-a;; esac`,
      'exec ip netns exec "$ns" unshare --uts sh -c "hostname $name; $*"',
      '',
    ].join('\n'),
  );
  chmodSync(agent, 0o755);
  const hosts = join(home, 'hosts');
  writeFileSync(hosts, `${subnet}.1 slots=1\n${subnet}.2 slots=1\n`);
  const link = `${subnet}.0/24`;
  const mpirun = [
    'mpirun', '--allow-run-as-root', '--hostfile', hosts, '-np', '2',
    '--mca', 'plm_rsh_agent', agent,
    '--mca', 'btl', 'tcp,self', '--mca', 'btl_tcp_if_include', link, '--mca', 'oob_tcp_if_include', link,
    '-x', 'CNN_HOME', '-x', 'CNN_THREADS',
    process.execPath, cnnBin,
  ];
  const inHostA = (args: string[]) => {
    const script = `hostname cnn-host-a && exec "$@"`;
    const r = spawnSync('ip', ['netns', 'exec', nsA, 'unshare', '--uts', 'sh', '-c', script, 'sh', ...mpirun, ...args], {
      encoding: 'utf8',
      cwd: home,
      timeout: 120_000,
      env: { ...process.env, ...env },
    });
    assert.equal(r.status, 0, `mpirun across the namespaces failed:\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  inHostA(['train', '--config', config, '--out', join(home, 'two-hosts.bin'), '--json']);
  const one = runCli(['train', '--config', config, '--out', join(home, 'one.bin'), '--json'], { env, cwd: home });
  assert.equal(one.status, 0, one.stderr);
  const diff = await maxWeightDiff(join(home, 'one.bin'), join(home, 'two-hosts.bin'));
  assert.ok(diff < 1e-5, `max abs weight difference ${diff}`);
  // Each rank names its host: rank 1 really ran in the other namespace.
  const bench = inHostA(['bench', 'train', '--config', config, '--distributed', '--batches', '2', '--warmup', '0', '--json']);
  const report = jsonEvents(bench.stdout)[0] as { per_rank: { rank: number; host: string }[] };
  assert.deepEqual(report.per_rank.map((r) => r.host), ['cnn-host-a', 'cnn-host-b']);
});
