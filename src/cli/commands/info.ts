/** `cnn info`: the version, the kernels in use, what the CPU offers and the thread count. */
import { Command } from 'commander';
import { currentThreadSetting, loadNative } from '../../native.js';
import { version } from '../../version.js';
import { mpiSupport } from '../../distributed/start.js';

export function infoCommand(): Command {
  return new Command('info')
    .description('print the version, the ISA in use, the ISAs the CPU has and the thread count')
    .option('--json', 'print one JSON object')
    .action((opts: { json?: boolean }) => {
      const info = loadNative().info();
      // The pool's real size (info.threads) and why it is that size: CNN_THREADS, or one per CPU.
      const source = currentThreadSetting()?.source ?? 'one per CPU';
      const mpi = mpiSupport(); // loads libmpi only to ask its version (MPI_Get_library_version), no MPI_Init
      const out = { version, isa: info.isa, cpu_isas: info.cpuIsas, threads: info.threads, threads_source: source, arch: info.arch, node: process.version, mpi };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(out)}\n`);
        return;
      }
      process.stdout.write(
        [
          `cnn ${version} (node ${process.version}, ${info.arch})`,
          `isa in use: ${info.isa}${process.env.CNN_ISA ? ' (forced by CNN_ISA)' : ''}`,
          `cpu isas:   ${info.cpuIsas.join(', ')}`,
          `threads:    ${info.threads} (${source})`,
          `mpi:        ${mpi.built && mpi.library ? `built (${mpi.library})` : mpi.built ? `built, but unusable: ${mpi.problem}` : `not built: ${mpi.problem}`}`,
        ].join('\n') + '\n',
      );
    });
}
