/**
 * The fuzz loop shared by `npm test` (test/70.fuzz-parsers.test.ts: a fixed seed and a fixed number
 * of cases) and `npm run fuzz` (scripts/fuzz.ts: random seeds for some minutes). Cases are made here
 * from each target's seeds and run in a worker thread with a time bound each; a case that throws
 * anything but CnnError, hangs past the bound or kills the worker is a failure, kept with its files
 * so it can be replayed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { mutateBytes } from './mutate.js';
import { Rng } from './random.js';
import { TARGETS, type FuzzCase, type FuzzTarget } from './targets.js';
import type { CaseMessage, CaseResult } from './worker.js';

export interface FuzzOptions {
  seed: number;
  /** Cases per target (after the seeds themselves); or run until `deadline`. */
  casesPerTarget?: number;
  /** Date.now() at which to stop, sharing the time evenly between the targets. */
  deadline?: number;
  caseTimeoutMs?: number;
  targets?: string[];
  /** Where failing cases are saved (a folder per case); nothing is saved without it. */
  saveDir?: string;
  onFailure?(failure: FuzzFailure): void;
  /** After each case: how long making it and running it took (for finding slow mutations). */
  onCase?(target: string, index: number, makeMs: number, runMs: number, files: FuzzCase): void;
}

export interface FuzzFailure {
  target: string;
  seed: number;
  index: number;
  kind: 'error' | 'timeout' | 'crash';
  message: string;
  stack?: string;
  files: FuzzCase;
  savedTo?: string;
}

export interface TargetStats {
  cases: number;
  ok: number;
  refused: number;
  failures: number;
  /** How many refusals had each error code: shows how deep the mutations get. */
  codes: Record<string, number>;
  /** The slowest case (ms, with the time to make it), to spot mutations that cost too much. */
  slowestMs: number;
  slowestIndex: number;
}

export interface FuzzReport {
  seed: number;
  targets: Record<string, TargetStats>;
  failures: FuzzFailure[];
  seedFailures: string[];
}

/** One worker at a time; replaced after a timeout or a crash. */
class CaseRunner {
  private worker!: Worker;
  private readonly scratch = mkdtempSync(join(tmpdir(), 'cnn-fuzz-'));
  private next = 0;
  private pending?: { id: number; resolve(r: CaseResult | { outcome: 'crash'; message: string }): void };

  constructor(private readonly timeoutMs: number) {
    this.start();
  }

  private start(): void {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: { scratch: this.scratch },
      // about the main thread's stack, so recursion limits are the CLI's; a bounded heap
      resourceLimits: { stackSizeMb: 1, maxOldGenerationSizeMb: 1024 },
    });
    this.worker.on('message', (r: CaseResult) => {
      if (this.pending && r.id === this.pending.id) this.pending.resolve(r);
    });
    const died = (message: string) => this.pending?.resolve({ outcome: 'crash', message });
    this.worker.on('error', (e) => died(`the worker died: ${e.message}`));
    this.worker.on('exit', (code) => died(`the worker exited with code ${code}`));
  }

  async run(target: string, files: FuzzCase): Promise<CaseResult | { outcome: 'timeout' | 'crash'; message: string }> {
    const id = this.next++;
    let timer: NodeJS.Timeout | undefined;
    const result = await new Promise<CaseResult | { outcome: 'timeout' | 'crash'; message: string }>((resolve) => {
      this.pending = { id, resolve };
      timer = setTimeout(() => resolve({ outcome: 'timeout', message: `no result after ${this.timeoutMs} ms` }), this.timeoutMs);
      this.worker.postMessage({ id, target, files } satisfies CaseMessage);
    });
    clearTimeout(timer);
    this.pending = undefined;
    if (result.outcome === 'timeout' || result.outcome === 'crash') {
      this.worker.removeAllListeners();
      await this.worker.terminate().catch(() => undefined);
      this.start();
    }
    return result;
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners();
    await this.worker.terminate().catch(() => undefined);
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

function targetSeed(seed: number, name: string): number {
  let h = seed >>> 0;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/** Keeps a few mutants that passed (or got deep) as parents for further mutation. */
function worthKeeping(files: FuzzCase): boolean {
  return Object.values(files).every((b) => b.length < 64 * 1024);
}

function makeCase(target: FuzzTarget, rng: Rng, pool: FuzzCase[]): FuzzCase {
  const parent = rng.pick(pool);
  try {
    return target.mutate(rng, parent, pool);
  } catch {
    // a mutator choking on a strange parent (very deep JSON): fall back to bytes
    const name = rng.pick(Object.keys(parent));
    return { ...parent, [name]: mutateBytes(rng, parent[name]) };
  }
}

function save(dir: string, f: FuzzFailure): string {
  const at = join(dir, `${f.target}-seed${f.seed}-case${f.index}`);
  mkdirSync(at, { recursive: true });
  for (const [name, bytes] of Object.entries(f.files)) writeFileSync(join(at, name), bytes);
  writeFileSync(join(at, 'failure.json'), `${JSON.stringify({ target: f.target, seed: f.seed, index: f.index, kind: f.kind, message: f.message, stack: f.stack }, null, 2)}\n`);
  return at;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const targets = TARGETS.filter((t) => !options.targets || options.targets.includes(t.name));
  const runner = new CaseRunner(options.caseTimeoutMs ?? 5000);
  const report: FuzzReport = { seed: options.seed, targets: {}, failures: [], seedFailures: [] };
  const state = targets.map((t) => ({ target: t, rng: new Rng(targetSeed(options.seed, t.name)), seeds: t.seeds(), pool: [] as FuzzCase[] }));
  for (const s of state) {
    report.targets[s.target.name] = { cases: 0, ok: 0, refused: 0, failures: 0, codes: {}, slowestMs: 0, slowestIndex: -1 };
    s.pool = [...s.seeds, ...(s.target.refusedParents?.() ?? [])];
  }
  try {
    // Each seed must load: otherwise the target tests nothing.
    for (const s of state) {
      for (const files of s.seeds) {
        const r = await runner.run(s.target.name, files);
        if (r.outcome !== 'ok') report.seedFailures.push(`${s.target.name}: a seed does not load (${r.outcome}: ${'message' in r ? r.message : ''})`);
      }
    }
    const started = Date.now();
    for (let round = 0; ; round++) {
      if (options.casesPerTarget !== undefined && round >= options.casesPerTarget) break;
      if (options.deadline !== undefined && Date.now() >= options.deadline) break;
      if (options.casesPerTarget === undefined && options.deadline === undefined) break;
      for (const s of state) {
        const stats = report.targets[s.target.name];
        const t0 = performance.now();
        const files = makeCase(s.target, s.rng, s.pool);
        const t1 = performance.now();
        const r = await runner.run(s.target.name, files);
        options.onCase?.(s.target.name, stats.cases + 1, t1 - t0, performance.now() - t1, files);
        stats.cases += 1;
        const ms = performance.now() - t0;
        if (ms > stats.slowestMs) {
          stats.slowestMs = Math.round(ms);
          stats.slowestIndex = stats.cases;
        }
        if (r.outcome === 'ok') {
          stats.ok += 1;
          if (worthKeeping(files)) s.pool.length < 64 ? s.pool.push(files) : (s.pool[s.seeds.length + 2 + s.rng.int(62 - s.seeds.length)] = files);
        } else if (r.outcome === 'refused') {
          stats.refused += 1;
          stats.codes[r.code] = (stats.codes[r.code] ?? 0) + 1;
        } else {
          stats.failures += 1;
          const failure: FuzzFailure = {
            target: s.target.name,
            seed: options.seed,
            index: stats.cases,
            kind: r.outcome === 'bug' ? 'error' : r.outcome,
            message: r.outcome === 'bug' ? `${r.name}: ${r.message}` : r.message,
            stack: r.outcome === 'bug' ? r.stack : undefined,
            files,
          };
          if (options.saveDir) failure.savedTo = save(options.saveDir, failure);
          report.failures.push(failure);
          options.onFailure?.(failure);
        }
      }
      void started;
    }
  } finally {
    await runner.close();
  }
  return report;
}
