/**
 * The addon through the learners' calculators: the seed tutorials' worked examples (000 and 003), exact,
 * through `cnn conv` / `cnn pool`, and the loader/ISA behaviour. Runs against whichever cnn.node the
 * loader finds (CI also runs it against the node-gyp build via CNN_ADDON_PATH).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers/cli.js';
import { firstAsProcess, runCliHere } from './helpers/cli-here.js';
import { convolve } from '../src/cli/commands/conv.js';
import { pool } from '../src/cli/commands/pool.js';
import { loadNative } from '../src/native.js';

/** `cnn conv --json` as cnn's main() in this process (helpers/cli-here.ts); the text form below runs the executable. */
async function convJson(args: string[]): Promise<unknown> {
  const r = await runCliHere(['conv', ...args, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { output: unknown }).output;
}

/** A plain valid 2-D cross-correlation, the textbook definition the seeds use. */
function naiveConv2d(x: number[][], k: number[][]): number[][] {
  const oh = x.length - k.length + 1;
  const ow = x[0].length - k[0].length + 1;
  return Array.from({ length: oh }, (_, i) =>
    Array.from({ length: ow }, (_, j) => {
      let s = 0;
      for (let a = 0; a < k.length; a++) for (let b = 0; b < k[0].length; b++) s += x[i + a][j + b] * k[a][b];
      return s;
    }),
  );
}

test('seed 000: the 4x4 input with the 3x3 filter gives [[15,16],[6,15]]', async () => {
  const out = await convJson(['--input', '[[1,2,3,0],[0,1,2,3],[3,0,1,2],[2,3,0,1]]', '--kernel', '[[2,0,1],[0,1,2],[1,0,2]]']);
  assert.deepEqual(out, [
    [15, 16],
    [6, 15],
  ]);
  const text = runCli(['conv', '--input', '[[1,2,3,0],[0,1,2,3],[3,0,1,2],[2,3,0,1]]', '--kernel', '[[2,0,1],[0,1,2],[1,0,2]]']);
  assert.equal(text.status, 0);
  assert.equal(text.stdout, '15 16\n 6 15\n');
});

test('seed 000: the 8x8 "4" image with the horizontal-line filter gives its 6x6 map', async () => {
  const four = [
    [0, 0, 0, 0, 0, 0, 0, 0],
    [0, 1, 0, 0, 0, 1, 0, 0],
    [0, 1, 0, 0, 0, 1, 0, 0],
    [0, 1, 0, 0, 0, 1, 0, 0],
    [0, 1, 1, 1, 1, 1, 1, 0],
    [0, 0, 0, 0, 0, 1, 0, 0],
    [0, 0, 0, 0, 0, 1, 0, 0],
    [0, 0, 0, 0, 0, 0, 0, 0],
  ];
  const filter = [
    [-1, -1, -1],
    [2, 2, 2],
    [-1, -1, -1],
  ];
  const out = await convJson(['--input', JSON.stringify(four), '--kernel', JSON.stringify(filter)]) as number[][];
  // the map printed in seed 000, row 3 (the bar of the "4") lights up
  assert.deepEqual(out, [
    [1, 1, 0, 1, 1, 1],
    [0, 0, 0, 0, 0, 0],
    [-1, -2, -3, -2, -2, -1],
    [3, 5, 6, 4, 4, 2],
    [-2, -3, -3, -2, -2, -1],
    [0, 0, 0, 1, 1, 1],
  ]);
  assert.deepEqual(out, naiveConv2d(four, filter));
});

test('seed 003: the 3x3 image with a 2x2 kernel of ones, valid and same', async () => {
  const image = '[[1,2,3],[4,5,6],[7,8,9]]';
  assert.deepEqual(await convJson(['--input', image, '--kernel', '[[1,1],[1,1]]']), [
    [12, 16],
    [24, 28],
  ]);
  assert.deepEqual(await convJson(['--input', image, '--kernel', '[[1,1],[1,1]]', '--padding', 'same']), [
    [12, 16, 9],
    [24, 28, 15],
    [15, 17, 9],
  ]);
});

test('seed 003: three filters (1, 10, -1) give the same maps times 1, 10 and -1', () => {
  const image = [[[1], [2], [3]], [[4], [5], [6]], [[7], [8], [9]]];
  const kernel = [
    [[[1, 10, -1]], [[1, 10, -1]]],
    [[[1, 10, -1]], [[1, 10, -1]]],
  ];
  const r = convolve({ input: JSON.stringify(image), kernel: JSON.stringify(kernel), padding: 'same' });
  assert.deepEqual(r.shape, [3, 3, 3]);
  const same = [
    [12, 16, 9],
    [24, 28, 15],
    [15, 17, 9],
  ];
  const out = r.output as number[][][];
  for (const [f, factor] of [1, 10, -1].entries()) {
    assert.deepEqual(
      out.map((row) => row.map((px) => px[f])),
      same.map((row) => row.map((v) => v * factor || 0)),
      `filter ${f}`,
    );
  }
  assert.match(r.text, /filter 0:\n12 16  9/);
});

test('seed 003: max pooling 2x2 with stride 1 of [[4,3],[2,1]]', async () => {
  const valid = await runCliHere(['pool', '--input', '[[4,3],[2,1]]', '--pool-size', '2', '--strides', '1', '--json']);
  assert.equal(valid.status, 0, valid.stderr);
  assert.deepEqual(JSON.parse(valid.stdout), { output: [[4]] });
  const same = pool({ input: '[[4,3],[2,1]]', poolSize: '2', strides: '1', padding: 'same' });
  assert.deepEqual(same.output, [
    [4, 3],
    [2, 1],
  ]);
});

test('average pooling with same padding divides by the real cells', () => {
  const r = pool({ input: '[[1,2,3],[4,5,6],[7,8,9]]', poolSize: '2', padding: 'same', mode: 'avg' });
  assert.deepEqual(r.output, [
    [3, 4.5],
    [7.5, 9],
  ]);
});

test('strides and dilation in the calculator match the textbook definition', () => {
  const x = Array.from({ length: 7 }, (_, i) => Array.from({ length: 7 }, (_, j) => i * 7 + j));
  const strided = convolve({ input: JSON.stringify(x), kernel: '[[1,0],[0,-1]]', strides: '2' }).output as number[][];
  const full = naiveConv2d(x, [
    [1, 0],
    [0, -1],
  ]);
  assert.deepEqual(strided, full.filter((_, i) => i % 2 === 0).map((row) => row.filter((_, j) => j % 2 === 0)));
  const dilated = convolve({ input: JSON.stringify(x), kernel: '[[1,1],[1,1]]', dilation: '2' }).output as number[][];
  const dilatedKernel = [
    [1, 0, 1],
    [0, 0, 0],
    [1, 0, 1],
  ];
  assert.deepEqual(dilated, naiveConv2d(x, dilatedKernel));
});

test('bad calculator input: a clear message, exit code 2, no stack trace', async () => {
  const run = firstAsProcess();
  for (const args of [
    ['conv', '--input', '[[1,2],[3]]', '--kernel', '[[1]]'],
    ['conv', '--input', '[[1,2],[3,4]]', '--kernel', '[[1,1,1],[1,1,1],[1,1,1]]'],
    ['conv', '--input', 'nope', '--kernel', '[[1]]'],
    ['conv', '--input', '[[1,2],[3,4]]', '--kernel', '[[1]]', '--strides', '2', '--dilation', '2'],
    ['pool', '--input', '[[1,2],[3,4]]', '--pool-size', '0'],
    ['pool', '--input', '[[1,2],[3,4]]', '--pool-size', '2', '--mode', 'median'],
  ]) {
    const r = await run(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^cnn: error: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('cnn info reports the ISA in use and what the CPU has', () => {
  const r = runCli(['info', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout) as { isa: string; cpu_isas: string[]; threads: number; version: string };
  assert.ok(info.cpu_isas.includes('scalar'));
  assert.ok(info.cpu_isas.includes(info.isa));
  assert.ok(info.threads >= 1);
  const forced = runCli(['info', '--json'], { env: { CNN_ISA: 'scalar', CNN_THREADS: '1' } });
  assert.equal(JSON.parse(forced.stdout).isa, 'scalar');
  assert.equal(JSON.parse(forced.stdout).threads, 1);
});

test('every ISA the CPU has gives the same seed example; an unavailable one is an error naming what the CPU has', () => {
  const isas = loadNative().info().cpuIsas;
  for (const isa of isas) {
    const r = runCli(['conv', '--input', '[[1,2,3,0],[0,1,2,3],[3,0,1,2],[2,3,0,1]]', '--kernel', '[[2,0,1],[0,1,2],[1,0,2]]', '--json'], {
      env: { CNN_ISA: isa },
    });
    assert.equal(r.status, 0, `${isa}: ${r.stderr}`);
    assert.deepEqual(JSON.parse(r.stdout).output, [
      [15, 16],
      [6, 15],
    ]);
  }
  const missing = ['avx2', 'avx512', 'neon'].find((i) => !isas.includes(i)) ?? 'no-such-isa';
  const bad = runCli(['info'], { env: { CNN_ISA: missing } });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, new RegExp(`${missing}`));
  for (const isa of isas) assert.match(bad.stderr, new RegExp(isa));
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
});

test('when the addon cannot be loaded, one message lists every path tried and how to fix it', async () => {
  const { loadAddonFrom } = await import('../src/native.js');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'cnn-loader-'));
  try {
    const garbage = join(dir, 'garbage.node');
    writeFileSync(garbage, 'not a shared object');
    const missing = join(dir, 'missing.node');
    assert.throws(
      () => loadAddonFrom([missing, garbage]),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'ERR_NATIVE_LOAD');
        assert.match(e.message, new RegExp(`${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not found`));
        assert.match(e.message, new RegExp(`${garbage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
        assert.match(e.message, /npm run build:native/);
        assert.match(e.message, /node-gyp rebuild/);
        return true;
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
