/** Training history (one record per epoch) written as JSON beside the weights, atomically. */
import { writeFileAtomic } from '../util/atomic-write.js';
import type { EpochRecord } from './trainer.js';

export function historyPathFor(weightsPath: string): string {
  return `${weightsPath.replace(/\.bin$/, '')}.history.json`;
}

export async function writeHistory(path: string, history: EpochRecord[]): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify({ history }, null, 2)}\n`));
}
