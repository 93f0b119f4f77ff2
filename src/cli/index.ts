/** Assembles the `cnn` command line from one file per command; runs it with one error handler. */
import { Command, CommanderError } from 'commander';
import { CnnError, ExitCode, isCnnError } from '../errors.js';
import { version } from '../version.js';
import { setWarningHandler } from '../util/warnings.js';
import { printWarning } from './warning.js';
import type { Command as CommandType } from 'commander';

/**
 * Each command's module, imported only when that command runs: `cnn conv` or `cnn info` need not load
 * the trainer, the exporters and the datasets (most `cnn` starts are one command). Help and an
 * unknown command load them all, so help lists every command and commander can suggest the nearest.
 */
const COMMANDS: Record<string, () => Promise<CommandType>> = {
  train: async () => (await import('./commands/train.js')).trainCommand(),
  summary: async () => (await import('./commands/summary.js')).summaryCommand(),
  eval: async () => (await import('./commands/eval.js')).evalCommand(),
  predict: async () => (await import('./commands/predict.js')).predictCommand(),
  visualize: async () => (await import('./commands/visualize.js')).visualizeCommand(),
  plot: async () => (await import('./commands/plot.js')).plotCommand(),
  export: async () => (await import('./commands/export.js')).exportCommand(),
  import: async () => (await import('./commands/import.js')).importCommand(),
  data: async () => (await import('./commands/data.js')).dataCommand(),
  conv: async () => (await import('./commands/conv.js')).convCommand(),
  pool: async () => (await import('./commands/pool.js')).poolCommand(),
  info: async () => (await import('./commands/info.js')).infoCommand(),
  bench: async () => (await import('./commands/bench.js')).benchCommand(),
};

/**
 * The commands argv needs: the one it names, none for a bare `cnn --version` (loading every command
 * pulled in sharp and took 0.5 s to print a version), or all of them (help, a mistyped name).
 */
function commandsFor(argv: string[]): string[] {
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '-V' || args[0] === '--version')) return [];
  const first = args.find((a) => !a.startsWith('-'));
  return first !== undefined && Object.hasOwn(COMMANDS, first) && first !== 'help' ? [first] : Object.keys(COMMANDS);
}

export async function buildProgram(names: string[] = Object.keys(COMMANDS)): Promise<Command> {
  const program = new Command('cnn')
    .description('Train convolutional networks from Node.js (Keras-like configs, native SIMD core)')
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const cmd of await Promise.all(names.map((n) => COMMANDS[n]()))) {
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
  const program = await buildProgram(commandsFor(argv));
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
