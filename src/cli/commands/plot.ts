/** `cnn plot --history FILE.json`: the loss and accuracy chart of a finished (or resumed) run. */
import { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { CnnError, usageError } from '../../errors.js';
import { describeFsError } from '../../util/atomic-write.js';
import { writeHistoryPlot, type HistoryRecord } from '../../viz/history-plot.js';

/** Reads the history JSON `cnn train` writes ({"history": [...]}) or a bare array of epoch records. */
export async function readHistoryFile(path: string): Promise<HistoryRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CnnError('ERR_READ_HISTORY', `cannot read ${path}: ${describeFsError(e)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CnnError('ERR_READ_HISTORY', `${path}: not valid JSON (${(e as Error).message})`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { history?: unknown } | null)?.history;
  if (!Array.isArray(list)) throw new CnnError('ERR_READ_HISTORY', `${path}: expected {"history": [{epoch, loss, accuracy, ...}, ...]}`);
  return list.map((r, i) => {
    const rec = r as Record<string, unknown>;
    if (!Number.isFinite(rec?.epoch)) throw new CnnError('ERR_READ_HISTORY', `${path}: history[${i}].epoch must be a number, got ${JSON.stringify(rec?.epoch)}`);
    for (const key of ['loss', 'accuracy']) {
      if (typeof rec?.[key] !== 'number' && rec?.[key] !== null) {
        throw new CnnError('ERR_READ_HISTORY', `${path}: history[${i}].${key} must be a number, got ${JSON.stringify(rec?.[key])}`);
      }
    }
    // JSON stores NaN as null; the chart leaves such points out.
    const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
    return {
      epoch: num(rec.epoch),
      loss: num(rec.loss),
      accuracy: num(rec.accuracy),
      val_loss: rec.val_loss === undefined ? undefined : num(rec.val_loss),
      val_accuracy: rec.val_accuracy === undefined ? undefined : num(rec.val_accuracy),
    };
  });
}

export function plotCommand(): Command {
  return new Command('plot')
    .description('draw loss and accuracy per epoch (training and validation) from a history JSON file')
    .requiredOption('--history <file.json>', 'the history cnn train writes beside the weights (<weights>.history.json)')
    .requiredOption('--out <file.png>', 'the PNG to write')
    .action(async (opts: { history: string; out: string }) => {
      if (!opts.out.toLowerCase().endsWith('.png')) throw usageError('ERR_BAD_OPTION', `--out must name a .png file, got ${JSON.stringify(opts.out)}`);
      const history = await readHistoryFile(opts.history);
      await writeHistoryPlot(history, opts.out);
      process.stdout.write(`wrote ${opts.out}: ${history.length} epochs\n`);
    });
}
