/**
 * The ranks of one data-parallel run, seen from TypeScript: who this process is, sums over all ranks
 * (on the main thread, while no training job runs: MPI_THREAD_SERIALIZED), the agreement to stop, the
 * sharded validation and the check that the weights are still the same everywhere.
 */
import { CnnError } from '../errors.js';
import type { NativeNetwork } from '../native.js';
import { crc32 } from '../util/crc32.js';
import { evaluateSet, type DataParallel, type ExampleSet } from '../train/trainer.js';
import type { MpiAddon } from './mpi-addon.js';

export class Collective implements DataParallel {
  constructor(
    private readonly addon: MpiAddon,
    readonly rank: number,
    readonly size: number,
    readonly hosts: string[],
    /** Seconds any one sum may wait for the other ranks. */
    readonly timeout: number,
  ) {}

  get isRoot(): boolean {
    return this.rank === 0;
  }

  /** "rank 1 (host b)". */
  who(rank = this.rank): string {
    return `rank ${rank} (host ${this.hosts[rank] ?? '?'})`;
  }

  /** Each value summed over all ranks (every rank must call this, in the same order). */
  sum(values: number[]): number[] {
    const buf = Float64Array.from(values);
    this.addon.mpiSum(buf, this.timeout);
    return Array.from(buf);
  }

  /** A sum in place, without copies (for timing). */
  addonSum(values: Float64Array): void {
    this.addon.mpiSum(values, this.timeout);
  }

  anyStop(local: boolean): boolean {
    return this.sum([local ? 1 : 0])[0] > 0;
  }

  /** This rank's contiguous part of a set (the first size % ranks ranks take one example more). */
  shard(set: ExampleSet): ExampleSet {
    const base = Math.floor(set.count / this.size);
    const extra = set.count % this.size;
    const first = this.rank * base + Math.min(this.rank, extra);
    const count = base + (this.rank < extra ? 1 : 0);
    const per = set.images.length / Math.max(1, set.count);
    return { images: set.images.subarray(first * per, (first + count) * per), labels: set.labels.subarray(first, first + count), count };
  }

  async evaluate(net: NativeNetwork, set: ExampleSet, plan: { scale: number; offset: number }) {
    const mine = this.shard(set);
    const r = mine.count > 0 ? await evaluateSet(net, mine, plan) : { lossSum: 0, correct: 0, count: 0 };
    const [lossSum, correct, count] = this.sum([r.lossSum, r.correct, r.count]);
    return { lossSum, correct, count };
  }

  /**
   * A CRC of every parameter, compared over the ranks (each puts its own in its slot of a sum). The
   * ranks apply the same summed gradient to the same weights, so they can only differ when they started
   * from different checkpoints, a host updates differently (another cnn build) or memory went bad:
   * training stops rather than go on with several models.
   */
  checkSameWeights(net: NativeNetwork, when: string): void {
    let crc = 0;
    const count = net.params().length;
    for (let i = 0; i < count; i++) {
      const p = net.getParam(i);
      crc = crc32(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), crc);
    }
    const slots = new Array<number>(this.size).fill(0);
    slots[this.rank] = crc;
    const all = this.sum(slots);
    const other = all.findIndex((c) => c !== all[0]);
    if (other > 0) {
      throw new CnnError(
        'ERR_RANKS_DIFFER',
        `the weights differ between the ranks ${when}: ${this.who(other)} holds other weights than ${this.who(0)} ` +
          `(checksums ${all[other].toString(16)} and ${all[0].toString(16)}); training stopped. ` +
          (when === 'before training'
            ? 'Every rank must read the same checkpoint (is the file on each host the same?)'
            : 'The ranks must update alike: the same cnn build on every host'),
      );
    }
  }

  /** Ends every rank of the job now (MPI_Abort), with this exit code. */
  abort(code: number): never {
    this.addon.mpiAbort(code);
    process.exit(code); // not reached: MPI_Abort does not return
  }
}
