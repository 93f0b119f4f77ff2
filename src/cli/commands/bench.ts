/**
 * `cnn bench gemm` (GFLOP/s of the native GEMM per shape and thread count), `cnn bench peak` (the
 * multiply-add limit per ISA) and `cnn bench train` (training speed and its share of that limit).
 * Argument parsing and output only: the measuring is in src/bench/.
 */
import { Command } from 'commander';
import { usageError } from '../../errors.js';
import { loadNative } from '../../native.js';
import { parseIntOption, parseNumberOption } from '../parse.js';
import { benchTrain, type TrainBenchResult } from '../../bench/train.js';
import { parseThreadList, peakCommand } from './bench-peak.js';

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

export { benchTrain, type TrainBenchResult };

function trainText(r: TrainBenchResult): string {
  const peak =
    r.peak_gflops !== undefined
      ? `, ${r.percent_of_peak}% of the ${r.peak_gflops} GFLOP/s ${r.isa} peak at ${r.threads} thread(s) (${r.peak_source === 'given' ? 'given with --peak' : 'measured'})`
      : ' (no peak to compare with: give --peak)';
  return (
    `${r.config}: ${r.threads} thread(s), batch ${r.batch_size}, isa ${r.isa}\n` +
    (r.data === 'synthetic' ? `  data  synthetic, ${r.data_note}; accuracy is chance\n` : '') +
    `  train ${r.train_images_per_s} images/s (${r.batches} batches)\n` +
    `  work  ${(r.flops_per_image / 1e6).toFixed(2)} MFLOP per training image: ${r.train_gflops} GFLOP/s${peak}\n` +
    `  eval  ${r.eval_images_per_s} images/s (test accuracy ${(r.test_accuracy * 100).toFixed(2)}% of ${r.eval_images} images)\n` +
    `  peak RSS ${r.peak_rss_mb} MB\n` +
    (r.profile
      ? `  profile, microseconds per step (wall time; a layer's parts together):\n` +
        `    ${'part'.padEnd(26)}${'forward'.padStart(10)}${'backward'.padStart(10)}${'share'.padStart(8)}\n` +
        r.profile.map((p) => `    ${p.part.padEnd(26)}${p.forward_us.toFixed(1).padStart(10)}${p.backward_us.toFixed(1).padStart(10)}${`${p.percent.toFixed(1)}%`.padStart(8)}\n`).join('')
      : '') +
    (r.per_rank
      ? `  ${r.ranks} ranks (batch ${r.batch_size} is global):\n${r.per_rank.map((p) => `    rank ${p.rank} (${p.host}): compute ${p.compute_s} s, allreduce ${p.allreduce_s} s (with waiting for slower ranks)\n`).join('')}` +
        `    one allreduce of the gradients alone: ${r.gradient_allreduce_us} us\n`
      : '')
  );
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
      // The same cap as the training pool's (src/threads.ts), with the same warning.
      const threads = parseThreadList(opts.threads);
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
  bench.addCommand(peakCommand());
  bench
    .command('train')
    .description('training and evaluation images/s of a config\'s model on its dataset, its GFLOP/s and share of the peak, and peak memory')
    .option('--config <file>', 'model config (a shipped name or a path)', 'mnist.json')
    .option('--batches <n>', 'batches to time after the warm-up', '200')
    .option('--warmup <n>', 'batches trained before timing', '10')
    .option('--threads <n>', 'worker threads (default: the number of cores)')
    .option('--batch-size <n>', 'batch size (default: the config\'s)')
    .option('--eval-images <n>', 'test images to evaluate, the first ones (default: the whole test set)')
    .option('--synthetic', 'random images of the config\'s shape instead of its dataset (chosen anyway when the dataset is not on this machine)')
    .option('--peak <GFLOPS>', 'the peak GFLOP/s to divide by, instead of measuring it for 0.2 s (cnn bench peak)')
    .option('--peak-seconds <s>', 'how long the peak is measured', '0.2')
    .option('--json', 'one JSON object')
    .option('--profile', 'time each layer\'s forward and backward, the loss and the update in the timed batches')
    .option('--distributed', 'under mpirun: the ranks train the same global batches together; per-rank compute and allreduce seconds')
    .action(async (opts: { config: string; batches: string; warmup: string; threads?: string; batchSize?: string; evalImages?: string; synthetic?: boolean; peak?: string; peakSeconds: string; json?: boolean; profile?: boolean; distributed?: boolean }) => {
      const r = await benchTrain({
        config: opts.config,
        batches: parseIntOption('--batches', opts.batches, 1, 1e7),
        warmup: parseIntOption('--warmup', opts.warmup, 0, 1e6),
        threads: opts.threads === undefined ? undefined : parseIntOption('--threads', opts.threads, 1, 1024),
        batchSize: opts.batchSize === undefined ? undefined : parseIntOption('--batch-size', opts.batchSize, 1, 1 << 16),
        evalImages: opts.evalImages === undefined ? undefined : parseIntOption('--eval-images', opts.evalImages, 1, 1e9),
        synthetic: opts.synthetic,
        peakGflops: opts.peak === undefined ? undefined : parseNumberOption('--peak', opts.peak, 0.001, 1e9),
        peakSeconds: parseNumberOption('--peak-seconds', opts.peakSeconds, 0.001, 60),
        distributed: opts.distributed,
        profile: opts.profile,
      });
      if (!r) return; // a rank other than 0 of a --distributed run
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(r)}\n`);
      } else {
        process.stdout.write(trainText(r));
      }
    });
  return bench;
}
