/** `cnn bench peak`: the multiply-add GFLOP/s limit per ISA and thread count (src/bench/peak.ts). */
import { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { benchPeak, peakIsas } from '../../bench/peak.js';
import { capThreads, MAX_THREADS } from '../../threads.js';
import { parseIntOption, parseNumberOption } from '../parse.js';
import { warnOnce } from '../../util/warnings.js';

/** A --threads list such as 1,2 (default: 1 and the number of cores), capped as the training pool is. */
export function parseThreadList(raw: string | undefined): number[] {
  const cores = availableParallelism();
  if (!raw) return [...new Set([1, cores])];
  return [
    ...new Set(
      raw.split(',').map((t) => {
        const choice = capThreads(parseIntOption('--threads', t, 1, MAX_THREADS), '--threads', cores);
        if (choice.warning) warnOnce(choice.warning);
        return choice.threads;
      }),
    ),
  ];
}

export function peakCommand(): Command {
  return new Command('peak')
    .description('GFLOP/s of a pure multiply-add loop per ISA the CPU has: the limit the GEMM and training are shares of (CNN_ISA: that ISA only)')
    .option('--threads <list>', 'thread counts, e.g. 1 or 1,2 (default: 1 and the number of cores)')
    .option('--seconds <s>', 'time per measurement: three runs of a third of it, the fastest kept', '0.3')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { threads?: string; seconds: string; json?: boolean }) => {
      const threads = parseThreadList(opts.threads);
      const seconds = parseNumberOption('--seconds', opts.seconds, 0.01, 60);
      const isas = peakIsas();
      if (!opts.json) {
        process.stdout.write(`peak multiply-add GFLOP/s, ${seconds} s per measurement${process.env.CNN_ISA ? ' (CNN_ISA: one ISA)' : ''}\n`);
        process.stdout.write(`${'isa'.padEnd(8)} ${'loop'.padEnd(24)}${threads.map((t) => `${t} thread${t === 1 ? '' : 's'}`.padStart(12)).join('')}\n`);
      }
      for (const isa of isas) {
        const row = await benchPeak({ isas: [isa], threads, seconds });
        if (opts.json) {
          for (const r of row) process.stdout.write(`${JSON.stringify({ isa: r.isa, loop: r.loop, threads: r.threads, gflops: Math.round(r.gflops * 10) / 10 })}\n`);
        } else {
          process.stdout.write(`${isa.padEnd(8)} ${row[0]!.loop.padEnd(24)}${row.map((r) => r.gflops.toFixed(1).padStart(12)).join('')}\n`);
        }
      }
    });
}
