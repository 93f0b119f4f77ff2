/** `cnn train`: trains a config's model on its dataset with Keras's progress line; Ctrl-C checkpoints. */
import { Command } from 'commander';
import { resolve } from 'node:path';
import { CnnError, ExitCode, usageError } from '../../errors.js';
import type { ModelConfig } from '../../model/config.js';
import { resolveConfig } from '../../model/shipped.js';
import { validateConfig } from '../../model/validate.js';
import { readWeightsFile, writeWeightsFile } from '../../model/weights-file.js';
import { loadNative } from '../../native.js';
import { datasetForConfig, configDirOf } from '../../train/dataset-for-config.js';
import { buildNetwork } from '../../train/model.js';
import { captureOptimizer, captureParams, restoreOptimizer, restoreParams } from '../../train/network-state.js';
import { initialState, stepsPerEpoch, train, type EpochRecord, type ExampleSet, type TrainState } from '../../train/trainer.js';
import { writeHistory, historyPathFor } from '../../train/history.js';
import { splitForTraining } from '../../train/split.js';
import { ProgressLine } from '../progress.js';
import { parseIntOption, parseNumberOption } from '../parse.js';
import { createSpinner } from '../spinner.js';

interface TrainOptions {
  config?: string;
  epochs?: string;
  batchSize?: string;
  out?: string;
  seed?: string;
  threads?: string;
  validationSplit?: string;
  limit?: string;
  resume?: string;
  dataDir?: string;
  plot?: string;
  json?: boolean;
}

function applyOverrides(config: ModelConfig, opts: TrainOptions): ModelConfig {
  const c = { ...config };
  if (opts.epochs !== undefined) c.epochs = parseIntOption('--epochs', opts.epochs, 1, 1_000_000);
  if (opts.batchSize !== undefined) c.batch_size = parseIntOption('--batch-size', opts.batchSize, 1, 65536);
  if (opts.seed !== undefined) c.seed = parseIntOption('--seed', opts.seed, 0, 2 ** 32 - 1);
  if (opts.validationSplit !== undefined) c.validation_split = parseNumberOption('--validation-split', opts.validationSplit, 0, 0.99);
  return c;
}

function saveContents(net: ReturnType<typeof buildNetwork>, config: ModelConfig, state: TrainState, limit: number | undefined) {
  return {
    config,
    tensors: captureParams(net),
    optimizer: captureOptimizer(net, config.optimizer.type),
    training: { ...state, limit: limit ?? null, threads: loadNative().info().threads },
  };
}

export async function trainAction(opts: TrainOptions): Promise<number> {
  const json = Boolean(opts.json);
  const spinner = createSpinner({ json });
  const native = loadNative();
  if (opts.threads !== undefined) native.setThreads(parseIntOption('--threads', opts.threads, 1, 1024));
  let limit = opts.limit !== undefined ? parseIntOption('--limit', opts.limit, 1) : undefined;

  // The model: from the checkpoint when resuming, else from the config.
  let config: ModelConfig;
  let configPath: string | undefined;
  let state: TrainState = initialState();
  const resumed = opts.resume ? await readWeightsFile(opts.resume) : undefined;
  if (resumed) {
    if (opts.config) throw usageError('ERR_BAD_OPTION', '--resume continues the model stored in the checkpoint; leave out --config');
    config = applyOverrides(validateConfig(resumed.config, `${opts.resume} (its model config)`), opts);
    const t = resumed.training as Partial<TrainState> & { limit?: number | null } | undefined;
    if (t && t.history !== undefined && !Array.isArray(t.history)) {
      throw new CnnError('ERR_WEIGHTS_FILE', `${opts.resume}: bad header: training.history must be a list of epoch records`);
    }
    if (t && typeof t.epoch === 'number') {
      const { limit: savedLimit, threads: _threads, ...rest } = t as typeof t & { threads?: number };
      state = { ...initialState(), ...rest, history: (t.history as EpochRecord[]) ?? [] };
      // The run continues on the same examples it started with.
      if (limit === undefined && typeof savedLimit === 'number') limit = savedLimit;
    }
  } else {
    const resolved = resolveConfig(opts.config ?? 'mnist.json');
    configPath = resolved.path;
    config = applyOverrides(resolved.config, opts);
  }
  const out = resolve(opts.out ?? opts.resume ?? `${config.name === 'sequential' && configPath ? configPath.replace(/^.*\//, '').replace(/\.json$/, '') : config.name}.weights.bin`);

  spinner.start(`Loading the dataset`);
  const dataset = await datasetForConfig(config, { dataDir: opts.dataDir, configDir: configDirOf(configPath), json });
  spinner.succeed(`Loaded ${dataset.name}: ${dataset.train.count} training and ${dataset.test.count} test images`);
  const expected = config.input_shape.reduce((a, b) => a * b, 1);
  if (dataset.train.height * dataset.train.width * dataset.train.channels !== expected) {
    throw usageError('ERR_BAD_CONFIG', `input_shape (${config.input_shape.join(', ')}) does not match the ${dataset.name} images (${dataset.train.height}, ${dataset.train.width}, ${dataset.train.channels})`);
  }
  const { train: trainSet, validation } = splitForTraining(dataset.train, config.validation_split, limit);
  const steps = stepsPerEpoch(trainSet.count, config.batch_size);
  if (resumed && state.step > steps) {
    throw new CnnError('ERR_WEIGHTS_FILE', `${opts.resume}: bad header: training.step ${state.step} is past the end of an epoch (an epoch here is ${steps} steps of batch size ${config.batch_size}); was it saved with other data or another --limit?`);
  }

  spinner.start('Building the model');
  const net = buildNetwork(config);
  if (resumed) {
    restoreParams(net, resumed.tensors, opts.resume!);
    if (resumed.optimizer) restoreOptimizer(net, resumed.optimizer, config.optimizer.type, opts.resume!);
  }
  spinner.stop();

  const cancel = new Int32Array(new SharedArrayBuffer(4));
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    Atomics.store(cancel, 0, 1);
    if (interrupts > 1) process.exit(ExitCode.interrupted);
    if (!json) process.stderr.write('\nStopping after this batch (Ctrl-C again to quit without saving)...\n');
  };
  process.on('SIGINT', onSigint);

  const progress = new ProgressLine({ stream: process.stdout });
  const plan = { epochs: config.epochs, batchSize: config.batch_size, shuffle: config.shuffle, seed: config.seed, scale: config.preprocessing.rescale, offset: config.preprocessing.offset };
  const save = async () => writeWeightsFile(out, saveContents(net, config, state, limit));
  let status: 'done' | 'cancelled';
  try {
    status = await train(net, plan, trainSet, validation, state, {
      epochStart: (epoch, epochs, steps) => {
        if (!json) progress.epochHeader(epoch + 1, epochs, steps);
      },
      batch: (step, _steps, m) => {
        if (!json) progress.update(step, { accuracy: m.accuracy, loss: m.loss });
      },
      epochEnd: async (record) => {
        if (json) {
          process.stdout.write(`${JSON.stringify({ event: 'epoch', ...roundRecord(record) })}\n`);
        } else {
          const metrics: Record<string, number> = { accuracy: record.accuracy, loss: record.loss };
          if (record.val_loss !== undefined) Object.assign(metrics, { val_accuracy: record.val_accuracy!, val_loss: record.val_loss });
          progress.finish(metrics);
        }
        await save(); // every finished epoch is on disk: nothing is lost to a crash
      },
    }, cancel);
  } catch (e) {
    progress.interrupt();
    if ((e as CnnError).code === 'ERR_NON_FINITE') {
      await save();
      throw new CnnError('ERR_NON_FINITE', `${(e as Error).message}. The last good weights are in ${out}`);
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }

  spinner.start(`Saving ${out}`);
  await save();
  await writeHistory(historyPathFor(out), state.history);
  spinner.stop();
  if (status === 'cancelled') {
    progress.interrupt();
    const where = `epoch ${state.epoch + 1}, step ${state.step}`;
    if (json) process.stdout.write(`${JSON.stringify({ event: 'interrupted', path: out, epoch: state.epoch + 1, step: state.step })}\n`);
    else process.stderr.write(`Interrupted at ${where}. Checkpoint saved to ${out}\nContinue with: cnn train --resume ${out}\n`);
    return ExitCode.interrupted;
  }
  if (opts.plot) {
    const { writeHistoryPlot } = await import('../../viz/index.js');
    await writeHistoryPlot(state.history, opts.plot);
  }
  if (json) process.stdout.write(`${JSON.stringify({ event: 'saved', path: out })}\n`);
  else process.stdout.write(`Saved weights to ${out}\n`);
  return ExitCode.ok;
}

function roundRecord(r: EpochRecord): EpochRecord {
  const round = (v: number | undefined, d: number) => (v === undefined ? undefined : Math.round(v * 10 ** d) / 10 ** d);
  return {
    epoch: r.epoch,
    loss: round(r.loss, 6)!,
    accuracy: round(r.accuracy, 6)!,
    ...(r.val_loss !== undefined ? { val_loss: round(r.val_loss, 6), val_accuracy: round(r.val_accuracy, 6) } : {}),
    seconds: round(r.seconds, 3)!,
    images_per_s: round(r.images_per_s, 1)!,
  };
}

export function trainCommand(): Command {
  return new Command('train')
    .description('train a model config on its dataset (Keras progress line; Ctrl-C saves a checkpoint)')
    .option('--config <name|path>', 'a config file, or a shipped one: mnist.json, fashion-mnist.json', undefined)
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
    .option('--json', 'one JSON object per epoch instead of the progress line')
    .action(async (opts: TrainOptions) => {
      const code = await trainAction(opts);
      if (code !== 0) process.exitCode = code;
    });
}
