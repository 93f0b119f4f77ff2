/**
 * `npm run fuzz -- --minutes N [--seed S] [--target NAME ...] [--out DIR]`: runs the fuzz targets of
 * test/70.fuzz-parsers.test.ts (config, IDX raw and gzip, weights file, TensorFlow.js import) with
 * random seeds for N minutes, prints the cases run per target and every failing input (saved
 * under DIR, default fuzz-failures/, to replay with `--replay DIR/<case>`), then runs the native
 * fuzzers (test/run-native-fuzz.sh) for a share of the time when that script and clang++ exist.
 * Exit status 1 when anything failed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CnnError } from '../src/errors.js';
import { packageRoot } from '../src/version.js';
import { runFuzz, type FuzzReport } from '../test/helpers/fuzz/runner.js';
import { TARGETS, targetByName, type FuzzCase } from '../test/helpers/fuzz/targets.js';

interface Args {
  minutes: number;
  seed?: number;
  targets?: string[];
  out: string;
  replay?: string;
  native: boolean;
}

function usage(message: string): never {
  process.stderr.write(`fuzz: ${message}\nusage: npm run fuzz -- --minutes N [--seed S] [--target NAME]... [--out DIR] [--no-native] | --replay DIR\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const args: Args = { minutes: 1, out: resolve('fuzz-failures'), native: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--minutes') args.minutes = Number(value());
    else if (a === '--seed') args.seed = Number(value());
    else if (a === '--target') (args.targets ??= []).push(value());
    else if (a === '--out') args.out = resolve(value());
    else if (a === '--replay') args.replay = resolve(value());
    else if (a === '--no-native') args.native = false;
    else usage(`unknown argument ${a}`);
  }
  if (!(args.minutes > 0) || args.minutes > 24 * 60) usage('--minutes must be a number of minutes > 0');
  if (args.seed !== undefined && !Number.isSafeInteger(args.seed)) usage('--seed must be a whole number');
  for (const t of args.targets ?? []) if (!TARGETS.some((x) => x.name === t)) usage(`no target ${t} (there are ${TARGETS.map((x) => x.name).join(', ')})`);
  return args;
}

/** Runs one saved case in this process, so its stack trace shows where it fails. */
async function replay(dir: string): Promise<number> {
  const meta = JSON.parse(readFileSync(join(dir, 'failure.json'), 'utf8')) as { target: string };
  const files: FuzzCase = {};
  for (const name of readdirSync(dir)) if (name !== 'failure.json') files[name] = readFileSync(join(dir, name));
  const scratch = mkdtempSync(join(tmpdir(), 'cnn-fuzz-replay-'));
  try {
    await targetByName(meta.target).run(files, scratch);
    process.stdout.write(`${meta.target}: the case now loads without an error\n`);
    return 0;
  } catch (e) {
    if (e instanceof CnnError) {
      process.stdout.write(`${meta.target}: refused with CnnError ${e.code}: ${e.message}\n`);
      return 0;
    }
    process.stdout.write(`${meta.target}: FAILS with ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function printReport(report: FuzzReport, seconds: number): void {
  process.stdout.write(`\nseed ${report.seed}, ${seconds.toFixed(0)} s\n`);
  process.stdout.write(`${'target'.padEnd(10)} ${'cases'.padStart(8)} ${'loaded'.padStart(8)} ${'refused'.padStart(8)} ${'failed'.padStart(7)}  refusals by code\n`);
  for (const [name, s] of Object.entries(report.targets)) {
    const codes = Object.entries(s.codes).map(([c, n]) => `${c} ${n}`).join(', ');
    process.stdout.write(`${name.padEnd(10)} ${String(s.cases).padStart(8)} ${String(s.ok).padStart(8)} ${String(s.refused).padStart(8)} ${String(s.failures).padStart(7)}  ${codes}\n`);
  }
  for (const s of report.seedFailures) process.stdout.write(`seed problem: ${s}\n`);
}

function runNative(seconds: number): number {
  const script = join(packageRoot, 'test', 'run-native-fuzz.sh');
  if (!existsSync(script)) {
    process.stdout.write('\nnative fuzzing: skipped (no test/run-native-fuzz.sh)\n');
    return 0;
  }
  if (spawnSync('clang++', ['--version'], { stdio: 'ignore' }).status !== 0) {
    process.stdout.write('\nnative fuzzing: skipped (no clang++)\n');
    return 0;
  }
  process.stdout.write(`\nnative fuzzing: bash test/run-native-fuzz.sh --seconds ${seconds}\n`);
  const r = spawnSync('bash', [script, '--seconds', String(seconds)], { cwd: packageRoot, stdio: 'inherit' });
  return r.status ?? 1;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.replay) return replay(args.replay);
  const seed = args.seed ?? Math.floor(Math.random() * 2 ** 31);
  const nativeExists = args.native && existsSync(join(packageRoot, 'test', 'run-native-fuzz.sh'));
  // A quarter of the time goes to the native fuzzers when they can run.
  const total = args.minutes * 60;
  const jsSeconds = nativeExists ? total * 0.75 : total;
  mkdirSync(args.out, { recursive: true });
  process.stdout.write(`fuzzing ${(args.targets ?? TARGETS.map((t) => t.name)).join(', ')} for ${jsSeconds.toFixed(0)} s, seed ${seed}; failing inputs go to ${args.out}\n`);
  const started = Date.now();
  const report = await runFuzz({
    seed,
    deadline: started + jsSeconds * 1000,
    caseTimeoutMs: 10_000,
    targets: args.targets,
    saveDir: args.out,
    onFailure(f) {
      process.stdout.write(`FAIL ${f.target} case ${f.index} (${f.kind}): ${f.message.split('\n')[0]}\n  saved to ${f.savedTo} (replay: npm run fuzz -- --replay ${f.savedTo})\n`);
    },
  });
  printReport(report, (Date.now() - started) / 1000);
  let status = report.failures.length > 0 || report.seedFailures.length > 0 ? 1 : 0;
  if (args.native) {
    const left = Math.max(10, Math.round(total - (Date.now() - started) / 1000));
    if (runNative(left) !== 0) status = 1;
  }
  if (readdirSync(args.out).length === 0) rmSync(args.out, { recursive: true, force: true });
  return status;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`fuzz: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
