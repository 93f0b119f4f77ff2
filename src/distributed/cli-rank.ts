/** What a command does differently as one rank of a data-parallel run: who speaks, and how it fails. */
import { ExitCode, isCnnError, type CnnError } from '../errors.js';
import type { ClosableOutput } from '../util/closable-output.js';
import type { Collective } from './collective.js';

/** The output of ranks other than 0: they train without a word (errors still go to stderr). */
export function silentOutput(): ClosableOutput {
  return { write() {}, isTTY: false, closed: true };
}

/**
 * A failure on any rank: printed with the rank and host (once: messages from the native sums already
 * name them), then MPI_Abort ends every rank of the job with the exit code, so no rank waits in a sum
 * for one that is gone. Rank 0's files are written atomically: its last checkpoint stays valid.
 */
export function failRank(dist: Collective, e: unknown): never {
  const message = isCnnError(e) ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
  const named = /^rank \d+ \(host /.test(message) ? message : `${dist.who()}: ${message}`;
  process.stderr.write(`cnn: error: ${named}\n`);
  const code = isCnnError(e) ? ((e as CnnError).exitCode ?? ExitCode.failure) : ExitCode.failure;
  return dist.abort(code);
}
