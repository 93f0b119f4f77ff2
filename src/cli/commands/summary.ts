/** `cnn summary`: Keras's model.summary() for a config, or for the model inside a weights file. */
import { Command } from 'commander';
import { usageError } from '../../errors.js';
import type { ModelConfig } from '../../model/config.js';
import { resolveConfig, DEFAULT_CONFIG } from '../../model/shipped.js';
import { formatMemoryLine, formatSummary, memoryJson, summaryJson, type OptimizerInfo } from '../../model/summary.js';
import { validateConfig } from '../../model/validate.js';
import { readWeightsHeader } from '../../model/weights-file.js';

interface SummaryOpts {
  config?: string;
  weights?: string;
  json?: boolean;
}

/** Python's shutil.get_terminal_size: $COLUMNS first, then the terminal, else undefined (80). */
export function terminalColumns(env: NodeJS.ProcessEnv = process.env, out: NodeJS.WriteStream = process.stdout): number | undefined {
  const fromEnv = Number.parseInt(env.COLUMNS ?? '', 10);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return out.isTTY && out.columns > 0 ? out.columns : undefined;
}

async function loadModel(opts: SummaryOpts): Promise<{ config: ModelConfig; optimizer?: OptimizerInfo }> {
  if (opts.config !== undefined && opts.weights !== undefined) {
    throw usageError('ERR_BAD_OPTION', 'give --config or --weights, not both (a weights file carries its own model config)');
  }
  if (opts.weights !== undefined) {
    const header = await readWeightsHeader(opts.weights);
    const config = validateConfig(header.config, `${opts.weights} (its model config)`);
    return header.optimizer ? { config, optimizer: { type: header.optimizer.type, slots: header.optimizer.slots } } : { config };
  }
  return { config: resolveConfig(opts.config ?? DEFAULT_CONFIG).config };
}

export function summaryCommand(): Command {
  return new Command('summary')
    .description("print the model's layers, output shapes and parameter counts, as Keras's model.summary() does")
    .option('--config <name|path>', `a model config file, or a shipped one (mnist.json, fashion-mnist.json, cifar10.json); default ${DEFAULT_CONFIG}`)
    .option('--weights <file>', 'a weights file written by cnn train (its model, plus the optimizer state if saved)')
    .option('--json', 'print one JSON object instead of the table')
    .action(async (opts: SummaryOpts) => {
      const { config, optimizer } = await loadModel(opts);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...summaryJson(config, optimizer), estimated_memory: memoryJson(config) })}\n`);
        return;
      }
      const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
      process.stdout.write(formatSummary(config, { columns: terminalColumns(), optimizer, color }) + formatMemoryLine(config));
    });
}
