/**
 * The files a training run keeps on disk: the weights file (with everything a resume needs) and the
 * history beside it. Both are written together each time (after every epoch, on Ctrl-C/SIGTERM,
 * before a diverging loss stops the run), so the history beside a weights file is always that file's
 * own; and when a write fails, the error says exactly what is on disk and what is not.
 */
import { unlink } from 'node:fs/promises';
import { CnnError } from '../errors.js';
import { writeWeightsFile, type WeightsContents } from '../model/weights-file.js';
import { describeFsError } from '../util/atomic-write.js';
import { historyPathFor, writeHistory } from './history.js';
import type { EpochRecord, TrainState } from './trainer.js';

function positionOf(state: TrainState): string {
  return `${state.epoch}:${state.step}`;
}

/** "the weights after epoch 3" or "a checkpoint at epoch 4, step 17". */
export function describePosition(state: TrainState): string {
  if (state.step === 0) return state.epoch === 0 ? 'the untrained weights' : `the weights after epoch ${state.epoch}`;
  return `a checkpoint at epoch ${state.epoch + 1}, step ${state.step}`;
}

export class RunOutputs {
  readonly historyPath: string;
  private lastPosition: string;
  private lastSaved: string | undefined;

  /** `start` is where the run begins (a fresh state, or the checkpoint it resumes). */
  constructor(
    readonly weightsPath: string,
    start: TrainState,
  ) {
    this.historyPath = historyPathFor(weightsPath);
    this.lastPosition = positionOf(start);
  }

  /**
   * Before training: a history beside the weights from an earlier run must not stay there beside
   * this run's weights. Resuming in place, the file is rewritten from the checkpoint (which holds
   * the history); otherwise it is removed, and comes back with the first save.
   */
  async begin(resumingInPlace: boolean, history: EpochRecord[]): Promise<void> {
    try {
      if (resumingInPlace) await writeHistory(this.historyPath, history);
      else await unlink(this.historyPath);
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return;
      throw new CnnError('ERR_WRITE_HISTORY', `cannot replace the history ${this.historyPath} of an earlier run: ${describeFsError(e)}`);
    }
  }

  /** Whether training moved since the last save (or since the start, when nothing was saved yet). */
  hasUnsaved(state: TrainState): boolean {
    return positionOf(state) !== this.lastPosition;
  }

  /** What this run has put on disk so far, for messages; undefined when nothing yet. */
  get saved(): string | undefined {
    return this.lastSaved;
  }

  /** Writes the weights, then the history; on failure throws a CnnError saying what is and is not saved. */
  async save(contents: WeightsContents, state: TrainState): Promise<void> {
    const what = describePosition(state);
    try {
      await writeWeightsFile(this.weightsPath, contents);
    } catch (e) {
      const kept = this.lastSaved
        ? `${this.weightsPath} still holds ${this.lastSaved} and its history`
        : `nothing of this run was saved (${this.weightsPath} is as it was before the run)`;
      throw new CnnError('ERR_SAVE', `cannot save ${what}: ${(e as Error).message}; ${kept}`);
    }
    this.lastPosition = positionOf(state);
    this.lastSaved = what;
    try {
      await writeHistory(this.historyPath, state.history);
    } catch (e) {
      // An older history would now describe other weights: better none than a wrong one.
      const removed = await unlink(this.historyPath).then(
        () => true,
        (u: { code?: string }) => u.code === 'ENOENT',
      );
      throw new CnnError(
        'ERR_SAVE',
        `saved ${what} to ${this.weightsPath} (its history is inside it too), but cannot write the history ${this.historyPath}: ${describeFsError(e)}` +
          (removed ? '' : `; the older ${this.historyPath} could not be removed and does not match the weights`),
      );
    }
  }
}
