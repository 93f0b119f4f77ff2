/** Assembles the `cnn` command line from one file per command; runs it with one error handler. */
import { Command, CommanderError } from 'commander';
import { CnnError, ExitCode, isCnnError } from '../errors.js';
import { version } from '../version.js';
import { setWarningHandler } from '../util/warnings.js';
import { printWarning } from './warning.js';
import { infoCommand } from './commands/info.js';
import { convCommand } from './commands/conv.js';
import { poolCommand } from './commands/pool.js';
import { benchCommand } from './commands/bench.js';
import { dataCommand } from './commands/data.js';
import { summaryCommand } from './commands/summary.js';
import { trainCommand } from './commands/train.js';
import { evalCommand } from './commands/eval.js';
import { predictCommand } from './commands/predict.js';
import { visualizeCommand } from './commands/visualize.js';
import { plotCommand } from './commands/plot.js';
import { exportCommand } from './commands/export.js';
import { importCommand } from './commands/import.js';

export function buildProgram(): Command {
  const program = new Command('cnn')
    .description('Train convolutional networks from Node.js (Keras-like configs, native SIMD core)')
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const cmd of [
    trainCommand(),
    summaryCommand(),
    evalCommand(),
    predictCommand(),
    visualizeCommand(),
    plotCommand(),
    exportCommand(),
    importCommand(),
    dataCommand(),
    convCommand(),
    poolCommand(),
    infoCommand(),
    benchCommand(),
  ]) {
    program.addCommand(cmd);
  }
  return program;
}

/**
 * Every command and subcommand (`data show`, `bench train`) throws on bad usage instead of calling
 * process.exit(1) itself, so main() gives every usage error exit code 2.
 */
function throwOnUsageErrors(cmd: Command): void {
  cmd.exitOverride();
  cmd.showHelpAfterError('(run with --help for usage)');
  // `cnn info extra` is a mistake, not something to ignore (commander 12 ignores it by default).
  cmd.allowExcessArguments(false);
  cmd.commands.forEach(throwOnUsageErrors);
}

/** Prints a CnnError's message (no stack trace) and returns the exit code for it. */
export function reportError(e: unknown): number {
  if (isCnnError(e)) {
    process.stderr.write(`cnn: error: ${e.message}\n`);
    return (e as CnnError).exitCode ?? ExitCode.failure;
  }
  const err = e as Error;
  process.stderr.write(`cnn: internal error: ${err?.message ?? String(e)}\n`);
  if (process.env.CNN_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
  else process.stderr.write('(set CNN_DEBUG=1 to see the stack trace, and please report it)\n');
  return ExitCode.failure;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  throwOnUsageErrors(program);
  setWarningHandler(printWarning);
  // `cnn predict | head -2`: the reader is gone, so the rest of the output has nowhere to go. Like
  // `git log | head`, only the output stops: the command finishes its work (train still saves its
  // weights, see util/closable-output.ts) instead of crashing on an unhandled EPIPE.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
  try {
    await program.parseAsync(argv);
    // An action that ends without throwing may still have set a code (130 after Ctrl-C).
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version end with exit code 0; every other commander error is bad usage.
      if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return ExitCode.ok;
      return ExitCode.usage;
    }
    return reportError(e);
  }
}
