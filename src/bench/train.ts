/**
 * `cnn bench train`: images/s of a config's model, what share of the machine's limit that is, and peak
 * memory. Trains `batches` batches after a warm-up of a few (so first-touch allocation and page faults
 * stay out of the figure), then evaluates the whole test set. The GFLOP/s is images/s times the FLOPs
 * per training image (src/model/flops.ts says what is counted), and the share of peak divides it by the
 * pure multiply-add rate of the same ISA and thread count (src/bench/peak.ts), measured just before the
 * timed batches or given by the caller.
 */
import { imageDims } from '../data/index.js';
import { loadNative, type NativeStepProfile } from '../native.js';
import { resolveConfig } from '../model/shipped.js';
import { modelFlops } from '../model/flops.js';
import { configDirOf, datasetForConfig } from '../train/dataset-for-config.js';
import { modelFromConfig } from '../api/create.js';
import { startDistributed } from '../distributed/start.js';
import { peakFor } from './peak.js';
import { missingDatasetReason, syntheticDataset } from './synthetic.js';

/** Where `cnn bench train` stands after its run: what the README's table and the peer script read. */
export interface TrainBenchResult {
  config: string;
  threads: number;
  batch_size: number;
  isa: string;
  batches: number;
  train_images_per_s: number;
  eval_images_per_s: number;
  /** The test images evaluated (--eval-images, else the whole test set). */
  eval_images: number;
  /** On synthetic data this is chance (random labels) and says nothing. */
  test_accuracy: number;
  peak_rss_mb: number;
  /** "real": the config's dataset; "synthetic": random images of its shape (see data_note). */
  data: 'real' | 'synthetic';
  /** Why the data is synthetic (absent for real data). */
  data_note?: string;
  /** FLOPs of one training image: forward, weight gradients and the needed input gradients. */
  flops_per_image: number;
  /** train_images_per_s x flops_per_image, in GFLOP/s. */
  train_gflops: number;
  /** The multiply-add peak of this ISA and thread count (absent for --distributed without --peak). */
  peak_gflops?: number;
  peak_source?: 'measured' | 'given';
  /** train_gflops / peak_gflops, in percent. */
  percent_of_peak?: number;
  /** --distributed: the number of ranks, and each rank's seconds computing and in the gradient sums. */
  ranks?: number;
  per_rank?: { rank: number; host: string; compute_s: number; allreduce_s: number }[];
  /** --distributed: microseconds of one sum of the gradients' bytes alone (no waiting for a slower rank). */
  gradient_allreduce_us?: number;
  /** With `profile`: where a timed step's wall time goes, microseconds per step. */
  profile?: StepProfileRow[];
}

/** One line of the profile: a layer's forward and backward (all its batch parts), or the loss or update. */
export interface StepProfileRow {
  part: string;
  forward_us: number;
  backward_us: number;
  /** forward + backward as a percentage of the whole step's wall time. */
  percent: number;
}

export interface TrainBenchOptions {
  config: string;
  batches: number;
  threads?: number;
  batchSize?: number;
  warmup: number;
  distributed?: boolean;
  /** Test images to evaluate, the first ones (default: the whole test set). */
  evalImages?: number;
  /** Random images of the config's shape instead of its dataset (also chosen when the dataset is absent). */
  synthetic?: boolean;
  /** The peak GFLOP/s to divide by, instead of measuring it (for --distributed: the whole group's). */
  peakGflops?: number;
  /** Length of the peak measurement (default 0.2 s). */
  peakSeconds?: number;
  /** Time each layer's forward and backward, the loss and the update in the timed batches. */
  profile?: boolean;
}

export async function benchTrain(opts: TrainBenchOptions): Promise<TrainBenchResult | undefined> {
  const native = loadNative();
  // --distributed: each rank trains its share of the same global batches (batch_size is global).
  const dist = opts.distributed ? startDistributed(true) : undefined;
  if (opts.threads !== undefined) native.setThreads(opts.threads, '--threads');
  const resolved = resolveConfig(opts.config);
  const config = { ...resolved.config, ...(opts.batchSize ? { batch_size: opts.batchSize } : {}) };
  const missing = opts.synthetic ? 'asked for with --synthetic' : await missingDatasetReason(config);
  const total = opts.warmup + opts.batches;
  // Only the images the run uses: reading all 60,000 for a few batches took longer than the batches.
  const trainImages = Math.max(1, total * config.batch_size);
  const dataset =
    missing !== undefined
      ? syntheticDataset(config, { train: Math.min(10000, trainImages), test: opts.evalImages ?? 1000 })
      : await datasetForConfig(config, { configDir: configDirOf(resolved.path), trainLimit: trainImages, testLimit: opts.evalImages });
  const net = modelFromConfig(config).native(); // the library's model, timed on its native network
  const flopsPerImage = modelFlops(config).training;
  const { isa, threads } = native.info();
  // Measured before the training threads spin up, on as many threads as they use; not under MPI, where
  // the ranks' peaks add up across hosts that one rank cannot measure.
  const peak = opts.peakGflops ?? (dist ? undefined : await peakFor(isa, threads, opts.peakSeconds ?? 0.2));
  const bs = config.batch_size;
  const scale = config.preprocessing.rescale;
  const offset = config.preprocessing.offset;
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
  if (opts.profile) net.setProfiling(true);
  const t0 = performance.now();
  const timed = await run(opts.warmup, total);
  const trainSeconds = (performance.now() - t0) / 1000;
  const profile = opts.profile ? profileRows(net.profile(), trainSeconds) : undefined;
  if (opts.profile) net.setProfiling(false);
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
  const test = dataset.test;
  const evalCount = Math.min(test.count, opts.evalImages ?? test.count);
  const perImage = test.height * test.width * test.channels;
  // One untimed slice first, as training has its --warmup: the first evaluation sizes the inference
  // buffers and faults their pages in (0.05-0.25 s in a VM), which a short --eval-images run would
  // otherwise report as its speed.
  const warm = Math.min(evalCount, 64);
  await net.evaluate(test.images.subarray(0, warm * perImage), test.labels.subarray(0, warm), { batchSize: 256, scale, offset });
  const t1 = performance.now();
  const ev = await net.evaluate(test.images.subarray(0, evalCount * perImage), test.labels.subarray(0, evalCount), { batchSize: 256, scale, offset });
  const evalSeconds = (performance.now() - t1) / 1000;
  // Rounded first, so that the GFLOP/s printed is the images/s printed times the FLOPs per image.
  const imagesPerSecond = Math.round((opts.batches * bs) / trainSeconds);
  const gflops = (imagesPerSecond * flopsPerImage) / 1e9;
  return {
    config: opts.config,
    threads,
    batch_size: bs,
    isa,
    batches: opts.batches,
    train_images_per_s: imagesPerSecond,
    eval_images_per_s: Math.round(ev.count / evalSeconds),
    eval_images: ev.count,
    test_accuracy: ev.correct / ev.count,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    data: missing !== undefined ? 'synthetic' : 'real',
    ...(missing !== undefined ? { data_note: `random ${imageDims(dataset.train)} images and labels: ${missing}` } : {}),
    flops_per_image: flopsPerImage,
    train_gflops: round1(gflops),
    ...(peak !== undefined
      ? { peak_gflops: round1(peak), peak_source: opts.peakGflops !== undefined ? ('given' as const) : ('measured' as const), percent_of_peak: round1((100 * gflops) / peak) }
      : {}),
    ...(dist ? { ranks: dist.size, per_rank: perRank, gradient_allreduce_us: allreduceUs } : {}),
    ...(profile ? { profile } : {}),
  };
}

/** Microseconds per step of each layer, the loss and the update; what is left of the step is "other"
 * (gathering the batch, the hand-over between the native thread and JavaScript). */
function profileRows(p: NativeStepProfile, trainSeconds: number): StepProfileRow[] {
  const steps = Math.max(1, p.steps);
  const stepUs = (trainSeconds * 1e6) / steps;
  const row = (part: string, f: number, b: number): StepProfileRow => {
    const fu = (f * 1e6) / steps, bu = (b * 1e6) / steps;
    return { part, forward_us: round1(fu), backward_us: round1(bu), percent: round1((100 * (fu + bu)) / stepUs) };
  };
  const rows = p.layers.map((l) => row(l.name, l.forwardSeconds, l.backwardSeconds));
  rows.push(row('(loss)', p.lossSeconds, 0), row('(update)', 0, p.updateSeconds));
  const counted = p.layers.reduce((t, l) => t + l.forwardSeconds + l.backwardSeconds, p.lossSeconds + p.updateSeconds);
  rows.push(row('(other)', Math.max(0, trainSeconds - counted), 0));
  return rows;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
