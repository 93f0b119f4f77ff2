/** Training history (one record per epoch) written as JSON beside the weights. */
import { writeFile } from 'node:fs/promises';
import type { EpochRecord } from './trainer.js';

export function historyPathFor(weightsPath: string): string {
  return `${weightsPath.replace(/\.bin$/, '')}.history.json`;
}

export async function writeHistory(path: string, history: EpochRecord[]): Promise<void> {
  await writeFile(path, `${JSON.stringify({ history }, null, 2)}\n`);
}
