/** `cnn bench gemm`: GFLOP/s of the native GEMM per shape and thread count. */
import { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { usageError } from '../../errors.js';
import { loadNative } from '../../native.js';
import { parseIntOption, parseNumberOption } from '../parse.js';
import { resolveConfig } from '../../model/shipped.js';
import { configDirOf, datasetForConfig } from '../../train/dataset-for-config.js';
import { modelFromConfig } from '../../api/create.js';
import { capThreads, MAX_THREADS, type ThreadChoice } from '../../threads.js';
import { warnOnce } from '../../util/warnings.js';
import { startDistributed } from '../../distributed/start.js';

function withWarning(choice: ThreadChoice): number {
  if (choice.warning) warnOnce(choice.warning);
  return choice.threads;
}

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

/** Where `cnn bench train` stands after its run: what the README's table and the peer script read. */
export interface TrainBenchResult {
  config: string;
  threads: number;
  batch_size: number;
  isa: string;
  batches: number;
  train_images_per_s: number;
  eval_images_per_s: number;
  test_accuracy: number;
  peak_rss_mb: number;
  /** --distributed: the number of ranks, and each rank's seconds computing and in the gradient sums. */
  ranks?: number;
  per_rank?: { rank: number; host: string; compute_s: number; allreduce_s: number }[];
  /** --distributed: microseconds of one sum of the gradients' bytes alone (no waiting for a slower rank). */
  gradient_allreduce_us?: number;
}

/**
 * Trains `batches` batches of a config's model on its real dataset after a warm-up of a few batches
 * (so first-touch allocation and page faults stay out of the figure), then evaluates the whole test set.
 */
export async function benchTrain(opts: { config: string; batches: number; threads?: number; batchSize?: number; warmup: number; distributed?: boolean }): Promise<TrainBenchResult | undefined> {
  const native = loadNative();
  // --distributed: each rank trains its share of the same global batches (batch_size is global).
  const dist = opts.distributed ? startDistributed(true) : undefined;
  if (opts.threads !== undefined) native.setThreads(opts.threads, '--threads');
  const resolved = resolveConfig(opts.config);
  const config = { ...resolved.config, ...(opts.batchSize ? { batch_size: opts.batchSize } : {}) };
  const dataset = await datasetForConfig(config, { configDir: configDirOf(resolved.path) });
  const net = modelFromConfig(config).native(); // the library's model, timed on its native network
  const bs = config.batch_size;
  const scale = config.preprocessing.rescale;
  const offset = config.preprocessing.offset;
  const total = opts.warmup + opts.batches;
  const count = dataset.train.count;
  // A fixed pseudo-random order (the figure must not depend on the data's order in memory).
  const order = new Int32Array(total * bs);
  let s = 12345;
  for (let i = 0; i < order.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    order[i] = s % count;
  }
  const cancel = new Int32Array(1);
  const run = (first: number, last: number) =>
    net.trainBatches(dataset.train.images, dataset.train.labels, order, { batchSize: bs, scale, offset, firstBatch: first, lastBatch: last, ...(dist ? { distributedTimeout: dist.timeout } : {}) }, null, cancel);
  if (opts.warmup > 0) await run(0, opts.warmup);
  dist?.sum([0]); // all ranks start the clock together
  const t0 = performance.now();
  const timed = await run(opts.warmup, total);
  const trainSeconds = (performance.now() - t0) / 1000;
  let perRank: TrainBenchResult['per_rank'];
  let allreduceUs: number | undefined;
  if (dist) {
    const slots = new Array<number>(2 * dist.size).fill(0);
    slots[2 * dist.rank] = trainSeconds - (timed.syncSeconds ?? 0);
    slots[2 * dist.rank + 1] = timed.syncSeconds ?? 0;
    const all = dist.sum(slots);
    perRank = dist.hosts.map((host, rank) => ({ rank, host, compute_s: round3(all[2 * rank]), allreduce_s: round3(all[2 * rank + 1]) }));
    // The transfer alone, for the question whether overlapping it with backward would pay.
    const floats = net.params().reduce((n, p, i) => n + (p.trainable ? net.getParam(i).length : 0), 0);
    const bytes = new Float64Array(Math.ceil(floats / 2));
    dist.sum([0]);
    const t2 = performance.now();
    const reps = 20;
    for (let i = 0; i < reps; i++) dist.addonSum(bytes);
    allreduceUs = Math.round(((performance.now() - t2) * 1000) / reps);
    if (!dist.isRoot) return undefined; // rank 0 evaluates and reports
  }
  const t1 = performance.now();
  const ev = await net.evaluate(dataset.test.images, dataset.test.labels, { batchSize: 256, scale, offset });
  const evalSeconds = (performance.now() - t1) / 1000;
  return {
    config: opts.config,
    threads: native.info().threads,
    batch_size: bs,
    isa: native.info().isa,
    batches: opts.batches,
    train_images_per_s: Math.round((opts.batches * bs) / trainSeconds),
    eval_images_per_s: Math.round(ev.count / evalSeconds),
    test_accuracy: ev.correct / ev.count,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    ...(dist ? { ranks: dist.size, per_rank: perRank, gradient_allreduce_us: allreduceUs } : {}),
  };
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
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
      // The same cap as the training pool's (src/threads.ts), with the same warning.
      const threads = opts.threads
        ? [...new Set(opts.threads.split(',').map((t) => withWarning(capThreads(parseIntOption('--threads', t, 1, MAX_THREADS), '--threads', cores))))]
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
  bench
    .command('train')
    .description('training and evaluation images/s of a config\'s model on its dataset, and peak memory')
    .option('--config <file>', 'model config (a shipped name or a path)', 'mnist.json')
    .option('--batches <n>', 'batches to time after the warm-up', '200')
    .option('--warmup <n>', 'batches trained before timing', '10')
    .option('--threads <n>', 'worker threads (default: the number of cores)')
    .option('--batch-size <n>', 'batch size (default: the config\'s)')
    .option('--json', 'one JSON object')
    .option('--distributed', 'under mpirun: the ranks train the same global batches together; per-rank compute and allreduce seconds')
    .action(async (opts: { config: string; batches: string; warmup: string; threads?: string; batchSize?: string; json?: boolean; distributed?: boolean }) => {
      const r = await benchTrain({
        config: opts.config,
        batches: parseIntOption('--batches', opts.batches, 1, 1e7),
        warmup: parseIntOption('--warmup', opts.warmup, 0, 1e6),
        threads: opts.threads === undefined ? undefined : parseIntOption('--threads', opts.threads, 1, 1024),
        batchSize: opts.batchSize === undefined ? undefined : parseIntOption('--batch-size', opts.batchSize, 1, 1 << 16),
        distributed: opts.distributed,
      });
      if (!r) return; // a rank other than 0 of a --distributed run
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(r)}\n`);
      } else {
        process.stdout.write(
          `${r.config}: ${r.threads} thread(s), batch ${r.batch_size}, isa ${r.isa}\n` +
            `  train ${r.train_images_per_s} images/s (${r.batches} batches)\n` +
            `  eval  ${r.eval_images_per_s} images/s (test accuracy ${(r.test_accuracy * 100).toFixed(2)}%)\n` +
            `  peak RSS ${r.peak_rss_mb} MB\n` +
            (r.per_rank ? `  ${r.ranks} ranks (batch ${r.batch_size} is global):\n${r.per_rank.map((p) => `    rank ${p.rank} (${p.host}): compute ${p.compute_s} s, allreduce ${p.allreduce_s} s (with waiting for slower ranks)\n`).join('')}` +
                `    one allreduce of the gradients alone: ${r.gradient_allreduce_us} us\n`
              : ''),
        );
      }
    });
  return bench;
}
