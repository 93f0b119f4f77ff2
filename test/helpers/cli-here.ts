/**
 * Runs `cnn`'s main() inside the test process, for the many cases that only read what a command prints
 * and the exit code it returns (usage mistakes, refused files, bad configs). A child process costs
 * about 0.2 CPU-s on a 2-core machine before the command does anything, and a test file may check
 * twenty mistakes; here only the command's own work is paid. bin/cnn.js does nothing
 * but `process.exitCode = await main(argv)`, and tests that spawn it (helpers/cli.ts) keep checking
 * that plumbing, the exit code and the absence of a stack trace end to end.
 *
 * Not for commands that start the native thread pool with a chosen size or ISA, install signal
 * handlers or train past their checks of options and outputs: those read settings once per process
 * or outlive the command, so they run through runCli.
 */
import { cnnBin, runCli, type CliResult } from './cli.js';

export interface HereOptions {
  /** Variables set for the run and restored after it; undefined removes one for the run. */
  env?: Record<string, string | undefined>;
  cwd?: string;
}

type Write = typeof process.stdout.write;

let queue: Promise<unknown> = Promise.resolve();

/**
 * For a loop over cases of one kind: the first call runs the executable (runCli), so the exit code
 * and the absence of a stack trace are checked end to end, and the later calls run main() here.
 */
export function firstAsProcess(): (args: string[], options?: HereOptions) => Promise<CliResult> {
  let spawned = false;
  return async (args, options = {}) => {
    if (spawned) return runCliHere(args, options);
    spawned = true;
    return runCli(args, options);
  };
}

/** One run at a time: stdout, stderr, the environment and the folder are the process's own. */
export function runCliHere(args: string[], options: HereOptions = {}): Promise<CliResult> {
  const run = queue.then(() => runNow(args, options));
  queue = run.catch(() => undefined);
  return run;
}

/**
 * Takes the text written to a stream during a run. Bytes pass through: under `node --test` this
 * process reports its tests to the runner as v8-serialized Buffers on stdout, and those may be
 * flushed while a command runs. cnn's commands write text.
 */
function capture(stream: NodeJS.WriteStream, sink: string[]): () => void {
  const original = stream.write;
  stream.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
    if (typeof chunk !== 'string') return original.call(stream, chunk, encoding as BufferEncoding, callback as () => void);
    sink.push(chunk);
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  }) as Write;
  return () => {
    stream.write = original;
  };
}

async function runNow(args: string[], options: HereOptions): Promise<CliResult> {
  const { main } = await import('../../src/cli/index.js');
  const out: string[] = [];
  const err: string[] = [];
  const savedEnv = new Map<string, string | undefined>();
  for (const [key, value] of Object.entries(options.env ?? {})) {
    savedEnv.set(key, process.env[key]);
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  const savedCwd = process.cwd();
  if (options.cwd) process.chdir(options.cwd);
  const savedExitCode = process.exitCode;
  process.exitCode = undefined;
  const stdoutListeners = process.stdout.listeners('error');
  const restoreOut = capture(process.stdout, out);
  const restoreErr = capture(process.stderr, err);
  let status: number;
  try {
    status = await main(['node', cnnBin, ...args]);
  } catch (e) {
    // In the real process this is an unhandled rejection: exit code 1 and a stack trace on stderr.
    err.push(`${(e as Error)?.stack ?? String(e)}\n`);
    status = 1;
  } finally {
    restoreOut();
    restoreErr();
    // main() listens for EPIPE on stdout each run; drop this run's listener so they do not pile up.
    for (const l of process.stdout.listeners('error')) {
      if (!stdoutListeners.includes(l)) process.stdout.off('error', l as (...a: unknown[]) => void);
    }
    process.exitCode = savedExitCode;
    process.chdir(savedCwd);
    for (const [key, value] of savedEnv) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  return { status, stdout: out.join(''), stderr: err.join('') };
}
