/**
 * The size of the native thread pool: CNN_THREADS, a caller's request (`--threads`), or the number of
 * CPUs this process may run on. Checked here, in TypeScript, before the native core sees a number.
 *
 * The cap: more threads than CPUs never speeds the pool up (the work is pure arithmetic with nothing
 * to wait for, and idle workers spin between jobs, taking CPU time from the ones still working), so a
 * count above the CPU count is warned about, and one above twice the CPU count is cut to that. Twice,
 * not once, so that a run asking for 2 threads behaves the same on a 1-CPU machine (results do not
 * depend on the thread count, only speed does) while a typo such as 1000 cannot make training hundreds
 * of times slower.
 */
import { availableParallelism } from 'node:os';
import { usageError } from './errors.js';

/** The addon's own limit (native/addon/calculators.cc refuses anything above it). */
export const MAX_THREADS = 1024;

export interface ThreadChoice {
  threads: number;
  /** Where the number came from, as `cnn info` prints it: "CNN_THREADS=3", "--threads", "the number of CPUs". */
  source: string;
  /** Set when the request was above the CPU count (and perhaps cut). */
  warning?: string;
}

export function cpuCount(): number {
  return Math.max(1, availableParallelism());
}

/** The most threads the pool is given on a machine with `cpus` CPUs. */
export function threadCap(cpus: number = cpuCount()): number {
  return Math.min(MAX_THREADS, 2 * cpus);
}

/**
 * CNN_THREADS when it is set: a whole number from 1 to MAX_THREADS written in plain digits, or a
 * usage error naming the variable and its value (an empty value included: set means meant).
 */
export function parseThreadsEnv(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1 || n > MAX_THREADS) {
    throw usageError(
      'ERR_BAD_ENV',
      `CNN_THREADS must be a whole number of threads from 1 to ${MAX_THREADS}, got ${JSON.stringify(raw)} (unset it to use one thread per CPU)`,
    );
  }
  return n;
}

/** Applies the cap to a requested count (already known to be 1..MAX_THREADS). */
export function capThreads(requested: number, source: string, cpus: number = cpuCount()): ThreadChoice {
  if (requested <= cpus) return { threads: requested, source };
  const cap = threadCap(cpus);
  const threads = Math.min(requested, cap);
  const cpusText = `${cpus} CPU${cpus === 1 ? '' : 's'}`;
  const what = source.includes('=') ? source : `${source} ${requested}`;
  const warning =
    threads < requested
      ? `${what} is more than the ${cpusText} this process may use; using ${threads} threads (at most 2 per CPU)`
      : `${what} is more than the ${cpusText} this process may use: the extra threads add no speed and can slow training down`;
  return { threads, source: threads < requested ? `${source}, cut to ${threads}` : source, warning };
}

/** The pool size at load time: CNN_THREADS if set (checked and capped), else one thread per CPU. */
export function threadsFromEnv(env: NodeJS.ProcessEnv = process.env, cpus: number = cpuCount()): ThreadChoice {
  const requested = parseThreadsEnv(env.CNN_THREADS);
  if (requested === undefined) return { threads: cpus, source: 'one per CPU' };
  return capThreads(requested, `CNN_THREADS=${env.CNN_THREADS}`, cpus);
}
