/** `cnn bench gemm`: GFLOP/s of the native GEMM per shape and thread count. */
import { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { usageError } from '../../errors.js';
import { loadNative } from '../../native.js';
import { parseIntOption, parseNumberOption } from '../parse.js';

/** The seed models' convolution GEMMs at batch 32 (as ../shared/peers/openblas_sgemm.c) and 1024 cubed. */
export const defaultGemmShapes: [number, number, number][] = [
  [1024, 1024, 1024],
  [3872, 64, 288],
  [21632, 32, 9],
  [288, 64, 3872],
  [3872, 288, 64],
];

function parseShape(raw: string): [number, number, number] {
  const parts = raw.split(',');
  if (parts.length !== 3) throw usageError('ERR_BAD_OPTION', `--shape must be M,N,K, got ${JSON.stringify(raw)}`);
  return parts.map((p, i) => parseIntOption(`--shape ${'MNK'[i]}`, p, 1, 1 << 20)) as [number, number, number];
}

export function benchCommand(): Command {
  const bench = new Command('bench').description('measure the native kernels and training speed');
  bench
    .command('gemm')
    .description('GFLOP/s of the single-precision GEMM (row-major C = A*B)')
    .option('--shape <M,N,K...>', 'shapes to time (default: the seed models\' convolutions and 1024^3)')
    .option('--threads <list>', 'thread counts, e.g. 1 or 1,2 (default: 1 and the number of cores)')
    .option('--seconds <s>', 'minimum time per measurement', '0.5')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { shape?: string[]; threads?: string; seconds: string; json?: boolean }) => {
      const shapes = opts.shape ? opts.shape.map(parseShape) : defaultGemmShapes;
      const cores = availableParallelism();
      const threads = opts.threads
        ? opts.threads.split(',').map((t) => parseIntOption('--threads', t, 1, 1024))
        : [...new Set([1, cores])];
      const seconds = parseNumberOption('--seconds', opts.seconds, 0.01, 60);
      const native = loadNative();
      const isa = native.info().isa;
      if (!opts.json) process.stdout.write(`isa ${isa}\n${'M'.padStart(6)} ${'N'.padStart(6)} ${'K'.padStart(6)} threads  GFLOP/s\n`);
      for (const [m, n, k] of shapes) {
        for (const t of threads) {
          const r = await native.benchGemm(m, n, k, t, seconds);
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ M: m, N: n, K: k, threads: t, isa, gflops: Math.round(r.gflops * 10) / 10 })}\n`);
          } else {
            process.stdout.write(`${String(m).padStart(6)} ${String(n).padStart(6)} ${String(k).padStart(6)} ${String(t).padStart(7)} ${r.gflops.toFixed(1).padStart(8)}\n`);
          }
        }
      }
    });
  return bench;
}
