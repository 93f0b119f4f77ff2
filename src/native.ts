/**
 * Loads the native addon (one place, one message when it fails) and declares the typed interface of
 * everything it exports. The addon throws CnnError (handed over here) with the core's error codes.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CnnError, usageError } from './errors.js';
import { packageRoot } from './version.js';
import { capThreads, MAX_THREADS, threadsFromEnv, type ThreadChoice } from './threads.js';
import { warnOnce } from './util/warnings.js';
import type { NativeNetworkSpec } from './model/spec.js';

export interface NativeInfo {
  isa: string;
  cpuIsas: string[];
  threads: number;
  defaultThreads: number;
  arch: string;
}

export interface ShapedArray {
  data: Float32Array;
  shape: number[];
}

export interface NativeParamInfo {
  layer: string;
  name: string;
  shape: number[];
  trainable: boolean;
}

export interface TrainProgressTotals {
  batches: number;
  seen: number;
  correct: number;
  lossSum: number;
  cancelled: boolean;
  /** Data-parallel jobs: seconds this rank spent in the sums over the ranks. */
  syncSeconds?: number;
}

export interface EvalTotals {
  lossSum: number;
  correct: number;
  count: number;
  probs?: Float32Array;
}

export interface NativeNetwork {
  params(): NativeParamInfo[];
  getParam(i: number): Float32Array;
  setParam(i: number, data: Float32Array): void;
  optimizerSlots(): number;
  getIterations(): number;
  setIterations(n: number): void;
  /** From the next batch on; CnnError ERR_BAD_OPTION unless finite and >= 0, ERR_BUSY while training. */
  setLearningRate(lr: number): void;
  getSlot(i: number, slot: number): Float32Array;
  setSlot(i: number, slot: number, data: Float32Array): void;
  numClasses(): number;
  inputSize(): number;
  /** images: uint8 pixels (the batch gets pixel * scale + offset) or float32 rows used as they are. */
  trainBatches(
    images: Uint8Array | Float32Array,
    labels: Uint8Array,
    order: Int32Array,
    /** distributedTimeout: data-parallel over the MPI ranks (src/distributed/), seconds per sum. */
    options: { batchSize: number; scale: number; offset: number; firstBatch?: number; lastBatch?: number; distributedTimeout?: number },
    onProgress: ((batches: number, seen: number, correct: number, lossSum: number) => void) | null,
    cancel: Int32Array,
  ): Promise<TrainProgressTotals>;
  evaluate(
    images: Uint8Array | Float32Array,
    labels: Uint8Array,
    options: { batchSize?: number; scale: number; offset: number; probs?: boolean },
  ): Promise<EvalTotals>;
  forwardAll(x: Float32Array): Float32Array[];
  /** Times the training steps that follow (true also clears the times); off by default. */
  setProfiling(on: boolean): void;
  /** Seconds summed over `steps` training steps since setProfiling(true). */
  profile(): NativeStepProfile;
}

export interface NativeStepProfile {
  steps: number;
  lossSeconds: number;
  /** Gradient checks, the optimizer and BatchNormalization's moving statistics. */
  updateSeconds: number;
  /** Every layer's forward and backward, all its batch parts together. */
  layers: { name: string; forwardSeconds: number; backwardSeconds: number }[];
}

export interface NativeAddon {
  setErrorClass(cls: typeof CnnError): void;
  initIsa(): void;
  info(): NativeInfo;
  selectIsa(name: string): void;
  /**
   * Resizes the thread pool. `source` names the request in a warning ("--threads"); a count above
   * the CPU count is warned about and one above twice the CPU count is cut (see src/threads.ts).
   */
  setThreads(n: number, source?: string): void;
  conv2d(
    input: Float32Array,
    inShape: number[],
    kernel: Float32Array,
    kShape: number[],
    strides: [number, number],
    dilation: [number, number],
    same: boolean,
  ): ShapedArray;
  pool(
    input: Float32Array,
    inShape: number[],
    poolSize: [number, number],
    strides: [number, number],
    same: boolean,
    mode: 'max' | 'avg',
  ): ShapedArray;
  benchGemm(m: number, n: number, k: number, threads: number, minSeconds: number): Promise<{ M: number; N: number; K: number; threads: number; gflops: number }>;
  /** The pure multiply-add loop of one ISA (native/kernels/peak_fma.h) on `threads` threads at once. */
  benchPeak(isa: string, threads: number, minSeconds: number): Promise<{ isa: string; loop: string; threads: number; gflops: number; seconds: number }>;
  /** The ISAs whose peak loops this CPU and build can run, scalar first. */
  peakIsas(): string[];
  Network: new (spec: NativeNetworkSpec) => NativeNetwork;
}

/** Where the addon may be: an explicit override, then cmake-js's and node-gyp's output folders. */
export function addonCandidates(): string[] {
  const list: string[] = [];
  if (process.env.CNN_ADDON_PATH) list.push(process.env.CNN_ADDON_PATH);
  list.push(join(packageRoot, 'build', 'Release', 'cnn.node'));
  list.push(join(packageRoot, 'build', 'Debug', 'cnn.node'));
  return list;
}

let cached: NativeAddon | undefined;
let loadedPath: string | undefined;

/** The file the addon was loaded from (libcnn_mpi.so, when built, lies beside it). */
export function loadedAddonPath(): string | undefined {
  return loadedPath;
}
let threadSetting: ThreadChoice | undefined;

/** The pool size in use and where it came from (CNN_THREADS, --threads, one per CPU), once loaded. */
export function currentThreadSetting(): ThreadChoice | undefined {
  return threadSetting;
}

/** A path a shell reads back unchanged, for the commands printed in messages. */
export function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

/**
 * Sizes the pool from CNN_THREADS before the core ever reads the variable itself (it would fall back
 * to the core count on a value it cannot parse, silently), and puts the checked setThreads in front
 * of the addon's own.
 */
function withCheckedThreads(addon: NativeAddon): NativeAddon {
  const apply = (choice: ThreadChoice) => {
    addon.setThreads(choice.threads);
    threadSetting = choice;
    if (choice.warning) warnOnce(choice.warning);
  };
  apply(threadsFromEnv());
  const checked = Object.create(addon) as NativeAddon;
  checked.setThreads = (n: number, source = 'the thread count') => {
    if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
      throw usageError('ERR_BAD_OPTION', `${source}: the thread count must be a whole number from 1 to ${MAX_THREADS}, got ${n}`);
    }
    apply(capThreads(n, source));
  };
  return checked;
}

/**
 * Loads the first candidate that is a working cnn addon. When none is, throws one CnnError listing
 * every path tried, why each failed, and how to fix it. A bad CNN_THREADS is a usage error.
 */
export function loadAddonFrom(candidates: string[]): NativeAddon {
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  for (const path of candidates) {
    if (!existsSync(path)) {
      tried.push(`  ${path}: not found`);
      continue;
    }
    let addon: NativeAddon;
    try {
      addon = require(path) as NativeAddon;
    } catch (e) {
      tried.push(`  ${path}: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    if (typeof addon?.setErrorClass !== 'function' || typeof addon.Network !== 'function') {
      tried.push(`  ${path}: not the cnn addon (it lacks setErrorClass/Network)`);
      continue;
    }
    addon.setErrorClass(CnnError);
    addon.initIsa(); // throws CnnError(ERR_ISA_UNAVAILABLE) for a CNN_ISA the CPU lacks
    loadedPath = path;
    return withCheckedThreads(addon);
  }
  const cd = `cd ${shellQuote(packageRoot)} &&`;
  throw new CnnError(
    'ERR_NATIVE_LOAD',
    [
      'the native core (cnn.node) could not be loaded. Tried:',
      ...tried,
      'To fix it, build it in the package folder:',
      `  ${cd} npm run build:native     (needs cmake >= 3.15 and a C++17 compiler: g++ or clang++)`,
      `  or: ${cd} npx node-gyp rebuild     (needs python3, make and a C++17 compiler)`,
      'Set CNN_ADDON_PATH=/path/to/cnn.node to load a build from elsewhere.',
    ].join('\n'),
  );
}

export function loadNative(): NativeAddon {
  cached ??= loadAddonFrom(addonCandidates());
  return cached;
}
