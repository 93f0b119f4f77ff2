/**
 * `cnn bench peak` and the library's benchPeak: a GFLOP/s per ISA the CPU has and thread count, the
 * JSON shape, CNN_ISA narrowing it to one ISA, and clear errors. Runs of 0.05 s keep it short.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers/cli.js';
import { loadNative } from '../src/native.js';
import { benchPeak } from '../src/bench/peak.js';
import { CnnError } from '../src/errors.js';

const cpuIsas = loadNative().info().cpuIsas;
const loopName = /^peak_fma_\d+x\d+__(ref|avx2|avx512|neon)$/;

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('bench peak --json gives a positive GFLOP/s for every ISA the CPU has, at each thread count', () => {
  const r = runCli(['bench', 'peak', '--threads', '1,2', '--seconds', '0.05', '--json'], { env: { CNN_ISA: '' } });
  assert.equal(r.status, 0, r.stderr);
  const rows = jsonLines(r.stdout);
  assert.deepEqual(rows.map((o) => `${String(o.isa)}/${String(o.threads)}`), cpuIsas.flatMap((isa) => [`${isa}/1`, `${isa}/2`]));
  for (const o of rows) {
    assert.deepEqual(Object.keys(o).sort(), ['gflops', 'isa', 'loop', 'threads']);
    assert.match(String(o.loop), loopName);
    assert.ok(typeof o.gflops === 'number' && Number.isFinite(o.gflops) && o.gflops > 0, JSON.stringify(o));
  }
});

test('bench peak prints one table row per ISA with a column per thread count', () => {
  const r = runCli(['bench', 'peak', '--threads', '1', '--seconds', '0.05'], { env: { CNN_ISA: '' } });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /^peak multiply-add GFLOP\/s, 0\.05 s per measurement$/);
  assert.match(lines[1]!, /^isa\s+loop\s+1 thread$/);
  assert.equal(lines.length, 2 + cpuIsas.length, r.stdout);
  cpuIsas.forEach((isa, i) => assert.match(lines[2 + i]!, new RegExp(`^${isa}\\s+peak_fma_\\S+\\s+\\d+\\.\\d$`)));
});

test('CNN_ISA=scalar measures the scalar loop only, as it forces the kernels', () => {
  const r = runCli(['bench', 'peak', '--threads', '1', '--seconds', '0.05', '--json'], { env: { CNN_ISA: 'scalar' } });
  assert.equal(r.status, 0, r.stderr);
  const rows = jsonLines(r.stdout);
  assert.equal(rows.length, 1, r.stdout);
  assert.equal(rows[0]!.isa, 'scalar');
  assert.equal(rows[0]!.loop, 'peak_fma_4x14__ref');
});

test('a CNN_ISA the CPU does not know fails with one message naming the variable, no stack', () => {
  const r = runCli(['bench', 'peak', '--seconds', '0.05'], { env: { CNN_ISA: 'mmx' } });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /cnn: error: CNN_ISA=mmx is not a known ISA/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('bench peak rejects a bad --seconds with exit code 2', () => {
  const r = runCli(['bench', 'peak', '--seconds', '0']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^cnn: error: --seconds must be between 0\.01 and 60, got 0$/m);
});

test('the library measures one ISA at several thread counts and refuses an ISA the CPU lacks', async () => {
  const rows = await benchPeak({ isas: ['scalar'], threads: [1, 2], seconds: 0.03 });
  assert.deepEqual(rows.map((r) => [r.isa, r.threads]), [['scalar', 1], ['scalar', 2]]);
  for (const r of rows) assert.ok(r.gflops > 0 && r.seconds > 0 && r.seconds < 0.03, JSON.stringify(r));
  await assert.rejects(benchPeak({ isas: ['mmx'], seconds: 0.03 }), (e: unknown) => e instanceof CnnError && e.code === 'ERR_ISA_UNAVAILABLE' && /available: scalar/.test(e.message));
});

test('the addon refuses a bad thread count or duration without crashing', async () => {
  const native = loadNative();
  assert.throws(() => native.benchPeak('scalar', 0, 0.1), /threads/);
  assert.throws(() => native.benchPeak('scalar', 1, Number.NaN), /minSeconds/);
  await assert.rejects(native.benchPeak('mmx', 1, 0.01), (e: unknown) => e instanceof CnnError && e.code === 'ERR_ISA_UNAVAILABLE');
});
