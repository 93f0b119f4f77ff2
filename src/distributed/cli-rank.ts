/** What a command does differently as one rank of a data-parallel run: who speaks, and how it fails. */
import { ExitCode, isCnnError, type CnnError } from '../errors.js';
import type { ClosableOutput } from '../util/closable-output.js';
import type { Collective } from './collective.js';
import type { CallbackHooks } from '../api/callbacks.js';
import { CSVLogger, ModelCheckpoint } from '../api/callbacks-builtin.js';
import { TensorBoard } from '../api/callbacks-tensorboard.js';

/**
 * The config's callbacks a rank runs: rank 0 all of them; the others those that steer training
 * (EarlyStopping, ReduceLROnPlateau, TerminateOnNaN: they see the same global metrics on every rank, so
 * they decide alike), not those that write files. A batch hook on rank 0 alone is fine: the ranks'
 * sums happen inside the steps, which run alike however they are grouped into native jobs.
 */
export function callbacksOfRank(list: CallbackHooks[], root: boolean): CallbackHooks[] {
  return root ? list : list.filter((c) => !(c instanceof ModelCheckpoint || c instanceof CSVLogger || c instanceof TensorBoard));
}

/**
 * Rank 0's standard output belongs to the launcher: Open MPI hands each rank a pseudo-terminal (or a
 * pipe) that mpirun stops reading while it ends a job after Ctrl-C: it sends SIGTERM, then sleeps
 * odls_base_sigkill_timeout (1 s) before SIGKILL. Node writes to terminals and pipes synchronously, so
 * a rank 0 that printed more than the terminal's 4 KB buffer in that window blocked in write(), never
 * ran its SIGTERM handler and was killed without a checkpoint (seen about half the time with epochs of
 * a millisecond, each a progress line). Non-blocking writes queue in memory instead: the signal is
 * handled, the batch ends, the checkpoint is written, and the lines follow as mpirun reads them.
 * stderr stays synchronous: its few lines (errors before MPI_Abort) must be out before the process is.
 */
export function unblockLauncherOutput(stream: NodeJS.WriteStream = process.stdout): void {
  (stream as unknown as { _handle?: { setBlocking?: (blocking: boolean) => unknown } })._handle?.setBlocking?.(false);
}

/** Waits until what `stream` holds has gone to the launcher, or `ms` passed (a launcher may never read it). */
export function drained(stream: NodeJS.WriteStream, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    stream.write('', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The output of ranks other than 0: they train without a word (errors still go to stderr). */
export function silentOutput(): ClosableOutput {
  return { write() {}, isTTY: false, closed: true };
}

/**
 * Failures every rank meets together (the loss sums and the weight checksums are the same on every
 * rank): a non-finite loss, weights that differ between ranks.
 */
const COLLECTIVE = new Set(['ERR_NON_FINITE', 'ERR_RANKS_DIFFER']);

/**
 * A failure on any rank: printed with the rank and host (once: messages from the native sums already
 * name them), then MPI_Abort ends every rank of the job with the exit code, so no rank waits in a sum
 * for one that is gone. Rank 0's files are written atomically: its last checkpoint stays valid.
 */
export function failRank(dist: Collective, e: unknown): number {
  const code = isCnnError(e) ? ((e as CnnError).exitCode ?? ExitCode.failure) : ExitCode.failure;
  if (isCnnError(e) && COLLECTIVE.has(e.code)) {
    // Every rank failed alike, at the same step: wait for rank 0 to finish what it saves, then all
    // exit with the code, and rank 0 alone says why.
    try {
      dist.sum([0]);
    } catch {
      // a rank is gone: the launcher ends the job anyway
    }
    if (dist.isRoot) process.stderr.write(`cnn: error: ${e.message}\n`);
    return code;
  }
  const message = isCnnError(e) ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
  const named = /^rank \d+ \(host /.test(message) ? message : `${dist.who()}: ${message}`;
  process.stderr.write(`cnn: error: ${named}\n`);
  return dist.abort(code);
}
