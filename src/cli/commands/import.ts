/** `cnn import`: a TensorFlow.js layers model or a Keras 3 .keras file (of the layers cnn has) as a cnn weights file. */
import { Command } from 'commander';
import { importTfjsModel } from '../../export/tfjs-import.js';
import { importKerasModel } from '../../export/keras-import.js';
import { writeWeightsFile } from '../../model/weights-file.js';
import { formatShapeTuple } from '../../model/shapes.js';
import { groupThousands } from '../../model/format-number.js';
import { parseChoice, parseNumberOption } from '../parse.js';

interface ImportCliOptions {
  from: string;
  out: string;
  format?: string;
  dataset?: string;
  rescale?: string;
  offset?: string;
  json?: boolean;
}

export function importCommand(): Command {
  return new Command('import')
    .description('turn a TensorFlow.js layers model (model.json + weights) or a Keras 3 .keras file into a cnn weights file')
    .requiredOption('--from <path>', 'model.json, the folder holding it, or a .keras file')
    .requiredOption('--out <file>', 'the cnn weights file to write')
    .option('--format <format>', 'the model format: tfjs or keras (default: keras for a .keras file, else tfjs)')
    .option('--dataset <name>', 'the dataset the model is for (mnist, fashion-mnist, cifar10); default: what the model carries')
    .option('--rescale <f>', 'input preprocessing: pixel * f + offset (default: what the model carries, else 1)')
    .option('--offset <f>', 'input preprocessing offset')
    .option('--json', 'print {path, layers, params}')
    .action(async (opts: ImportCliOptions) => {
      const format = opts.format !== undefined ? parseChoice('--format', opts.format, ['tfjs', 'keras']) : opts.from.toLowerCase().endsWith('.keras') ? 'keras' : 'tfjs';
      const contents = await (format === 'keras' ? importKerasModel : importTfjsModel)(opts.from, {
        dataset: opts.dataset,
        rescale: opts.rescale === undefined ? undefined : parseNumberOption('--rescale', opts.rescale),
        offset: opts.offset === undefined ? undefined : parseNumberOption('--offset', opts.offset),
      });
      await writeWeightsFile(opts.out, contents);
      const config = contents.config as { layers: unknown[]; input_shape: number[] };
      const params = contents.tensors.reduce((n, t) => n + t.data.length, 0);
      if (opts.json) process.stdout.write(`${JSON.stringify({ path: opts.out, layers: config.layers.length, params })}\n`);
      else process.stdout.write(`wrote ${opts.out}: ${config.layers.length} layers, input ${formatShapeTuple(config.input_shape)}, ${groupThousands(params)} parameters\n`);
    });
}
