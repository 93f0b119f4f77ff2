/**
 * `cnn train`'s options. The work is in train-action.ts, loaded when the command runs: a usage error
 * that commander finds (an unknown option, a missing value) is then reported without loading the
 * library, the native addon and the dataset code (about 90 ms of every such run).
 */
import { Command } from 'commander';
import type { TrainOptions } from './train-action.js';

export function trainCommand(): Command {
  return new Command('train')
    .description('train a model config on its dataset (Keras progress line; Ctrl-C or SIGTERM saves a checkpoint)')
    .option('--config <name|path>', 'required (unless --resume): a config file, or a shipped one: mnist.json, fashion-mnist.json, cifar10.json')
    .option('--epochs <n>', 'override the config\'s epochs')
    .option('--batch-size <n>', 'override the config\'s batch_size')
    .option('--out <file>', 'where to save the weights (default: <config name>.weights.bin)')
    .option('--seed <n>', 'override the config\'s seed')
    .option('--threads <n>', 'native threads (default: CNN_THREADS or the number of cores)')
    .option('--validation-split <f>', 'fraction of the training images (the last ones) kept for validation')
    .option('--limit <n>', 'train on the first N training images only')
    .option('--resume <file>', 'continue an interrupted or finished run from its checkpoint')
    .option('--data-dir <dir>', 'a folder holding the four IDX files of the dataset')
    .option('--plot <file.png>', 'draw loss and accuracy per epoch into a PNG')
    .option('--logdir <dir>', 'write TensorBoard logs (DIR/train, DIR/validation) as Keras\'s TensorBoard callback does')
    .option('--json', 'one JSON object per epoch instead of the progress line')
    .option('--distributed', 'one rank of a data-parallel run (implied under mpirun/srun: see "Many processes and machines" in the README)')
    .action(async (opts: TrainOptions) => {
      const { trainAction } = await import('./train-action.js');
      const code = await trainAction(opts);
      if (code !== 0) process.exitCode = code;
    });
}
