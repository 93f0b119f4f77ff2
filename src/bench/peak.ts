/**
 * The machine's floating-point limit, as `cnn bench peak` prints it: GFLOP/s of a pure multiply-add loop
 * per ISA and thread count (native/kernels/peak_fma.h), the ceiling that the GEMM's and the training
 * step's GFLOP/s are shares of. CNN_ISA, when set, narrows the ISAs to the one it forces, as it forces
 * the kernels everywhere else (a CNN_ISA the CPU lacks has already failed when the addon loaded).
 */
import { usageError } from '../errors.js';
import { loadNative } from '../native.js';

export interface PeakResult {
  isa: string;
  /** The native loop's name, e.g. peak_fma_16x12__avx512. */
  loop: string;
  threads: number;
  gflops: number;
  /** The fastest of the three timed runs' length (a short calibration before them is not counted). */
  seconds: number;
}

export interface PeakOptions {
  /** ISAs to measure (default: every one the CPU has, or only CNN_ISA's when it is set). */
  isas?: string[];
  /** Thread counts (default [1]). */
  threads?: number[];
  /** Time of each measurement: three runs of a third of it, the fastest kept (default 0.3 s). */
  seconds?: number;
}

/** The ISAs `benchPeak` measures by default: CNN_ISA's alone when set, else every one the CPU has. */
export function peakIsas(): string[] {
  const native = loadNative();
  return process.env.CNN_ISA ? [native.info().isa] : native.peakIsas();
}

/** Measures each ISA at each thread count, one after the other (never two at once). */
export async function benchPeak(opts: PeakOptions = {}): Promise<PeakResult[]> {
  const native = loadNative();
  const available = native.peakIsas();
  const isas = opts.isas ?? peakIsas();
  for (const isa of isas) {
    if (!available.includes(isa)) throw usageError('ERR_ISA_UNAVAILABLE', `bench peak: ISA ${JSON.stringify(isa)} is not available on this CPU or build (available: ${available.join(', ')})`);
  }
  const seconds = opts.seconds ?? 0.3;
  const out: PeakResult[] = [];
  for (const isa of isas) {
    for (const threads of opts.threads ?? [1]) out.push(await native.benchPeak(isa, threads, seconds));
  }
  return out;
}

/** The peak of the ISA and thread count in use, measured briefly (what `cnn bench train` divides by). */
export async function peakFor(isa: string, threads: number, seconds = 0.1): Promise<number> {
  const [r] = await benchPeak({ isas: [isa], threads: [threads], seconds });
  return r!.gflops;
}
