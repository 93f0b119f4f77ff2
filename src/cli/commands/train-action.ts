/**
 * `cnn train`: trains a config's model on its dataset with Keras's progress line. What it promises:
 * the weights and their history are on disk after every epoch; Ctrl-C or SIGTERM checkpoints; a
 * closed stdout/stderr (`| head`) stops only the output; the outputs are checked writable and locked
 * before training starts; any failure says exactly what was saved.
 */
import { resolve } from 'node:path';
import { CnnError, ExitCode, usageError } from '../../errors.js';
import { groupThousands } from '../../model/format-number.js';
import type { ModelConfig } from '../../model/config.js';
import { listShippedConfigs, resolveConfig } from '../../model/shipped.js';
import { validateConfig } from '../../model/validate.js';
import { readWeightsFile } from '../../model/weights-file.js';
import { loadNative } from '../../native.js';
import { modelFromContents, trainingStateOf } from '../../api/create.js';
import { trainModel } from '../../api/fit.js';
import { callbacksFromConfig } from '../../api/callbacks-from-config.js';
import { EarlyStopping } from '../../api/callbacks-builtin.js';
import type { CallbackHooks } from '../../api/callbacks.js';
import { Sequential } from '../../api/model.js';
import { anchorDatasetPaths, datasetForConfig, configDirOf } from '../../train/dataset-for-config.js';
import { initialState, stepsPerEpoch, type EpochRecord, type TrainState } from '../../train/trainer.js';
import { RunOutputs } from '../../train/run-outputs.js';
import { splitForTraining } from '../../train/split.js';
import { closableOutput, type ClosableOutput } from '../../util/closable-output.js';
import { acquireOutputLock, LockHeld, lockPathFor, type OutputLock } from '../../util/output-lock.js';
import { describeFsError } from '../../util/atomic-write.js';
import { SIGNAL_EXIT_CODES, watchStopSignals, type StopSignal } from '../../util/stop-signals.js';
import { whyNotWritable } from '../../util/writable-probe.js';
import { ProgressLine } from '../progress.js';
import { parseIntOption, parseNumberOption } from '../parse.js';
import { createSpinner } from '../spinner.js';
import { logEpoch, openLogdir } from '../../tensorboard/train-logdir.js';
import { spinnerCallbacks } from '../dataset-spinner.js';
import { startDistributed } from '../../distributed/start.js';
import { callbacksOfRank, drained, failRank, silentOutput, unblockLauncherOutput } from '../../distributed/cli-rank.js';
import type { Collective } from '../../distributed/collective.js';

export interface TrainOptions {
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
  logdir?: string;
  json?: boolean;
  distributed?: boolean;
}

function applyOverrides(config: ModelConfig, opts: TrainOptions): ModelConfig {
  const c = { ...config };
  if (opts.epochs !== undefined) c.epochs = parseIntOption('--epochs', opts.epochs, 1, 1_000_000);
  if (opts.batchSize !== undefined) c.batch_size = parseIntOption('--batch-size', opts.batchSize, 1, 65536);
  if (opts.seed !== undefined) c.seed = parseIntOption('--seed', opts.seed, 0, 2 ** 32 - 1);
  if (opts.validationSplit !== undefined) c.validation_split = parseNumberOption('--validation-split', opts.validationSplit, 0, 0.99);
  return c;
}

function missingConfig(): CnnError {
  const shipped = listShippedConfigs();
  return usageError(
    'ERR_MISSING_OPTION',
    `missing --config: name a model config file or a shipped one (${shipped.join(', ') || 'none found'}), or continue a run with --resume CHECKPOINT`,
  );
}

/** Refuses, before any training, an output that could not be written at the end (exit code 2). */
async function checkWritable(outputs: { option: string; path: string; file?: string }[]): Promise<void> {
  for (const { option, path, file } of outputs) {
    const why = await whyNotWritable(file ?? path);
    if (why) throw usageError('ERR_BAD_OPTION', `${option} ${path}: cannot write ${file ? `its history ${file}` : 'there'}: ${why}`);
  }
}

async function lockOutput(out: string): Promise<OutputLock> {
  try {
    return await acquireOutputLock(out);
  } catch (e) {
    if (!(e instanceof LockHeld)) throw new CnnError('ERR_LOCKED', `cannot create the lock ${lockPathFor(out)}: ${describeFsError(e)}`);
    const o = e.owner;
    const who = o ? `another cnn train (pid ${o.pid} on ${o.host}, started ${o.started})` : 'another cnn train';
    throw new CnnError(
      'ERR_LOCKED',
      `${out} is being written by ${who}; wait for it to finish or choose another --out (if that run is gone, remove ${e.lockPath})`,
    );
  }
}

const STOP_WORDS: Record<StopSignal, { stopping: string; stopped: string }> = {
  SIGINT: { stopping: 'Stopping after this batch (Ctrl-C again to quit without saving)...', stopped: 'Interrupted' },
  SIGTERM: { stopping: 'SIGTERM: stopping after this batch (send it again to quit without saving)...', stopped: 'Terminated (SIGTERM)' },
};

/**
 * Under an MPI launcher (or --distributed) this process is one rank of a data-parallel run
 * (src/distributed/): rank 0 prints and writes every file, the others only train, and a failure on any
 * rank is printed with its rank and host and ends the whole job (MPI_Abort), so no rank waits forever.
 */
export async function trainAction(opts: TrainOptions): Promise<number> {
  const dist = startDistributed(Boolean(opts.distributed));
  if (!dist) return trainRun(opts, undefined);
  if (dist.isRoot) unblockLauncherOutput(process.stdout);
  let code: number;
  try {
    code = await trainRun(opts, dist);
  } catch (e) {
    return failRank(dist, e);
  }
  // Every rank leaves together, once rank 0's last lines are out of the process: mpirun ends the whole
  // job as soon as one rank exits with a non-zero code (143 after Ctrl-C's SIGTERM), which killed
  // rank 0 before its "interrupted" line reached mpirun, and before it removed its lock.
  // Bounded: after Ctrl-C, mpirun reads nothing more until it has killed what is still running.
  await Promise.all([process.stdout, process.stderr].map((s) => drained(s, 5000)));
  try {
    dist.sum([0]);
  } catch (e) {
    return failRank(dist, e);
  }
  return code;
}

async function trainRun(opts: TrainOptions, dist: Collective | undefined): Promise<number> {
  const root = !dist || dist.isRoot;
  const json = Boolean(opts.json);
  // Attached first, so a reader that goes away (`| head -1`) can never kill the run, even at exit.
  const stdout = root ? closableOutput(process.stdout) : silentOutput();
  const stderr = root ? closableOutput(process.stderr) : silentOutput();
  const spinner = createSpinner({ json: json || !root });
  const native = loadNative();
  if (opts.threads !== undefined) native.setThreads(parseIntOption('--threads', opts.threads, 1, 1024), '--threads');
  let limit = opts.limit !== undefined ? parseIntOption('--limit', opts.limit, 1) : undefined;

  // The model: from the checkpoint when resuming, else from the config.
  let config: ModelConfig;
  let configPath: string | undefined;
  let state: TrainState = initialState();
  if (!opts.resume && !opts.config) throw missingConfig();
  const resumed = opts.resume ? await readWeightsFile(opts.resume) : undefined;
  if (resumed) {
    if (opts.config) throw usageError('ERR_BAD_OPTION', '--resume continues the model stored in the checkpoint; leave out --config');
    config = applyOverrides(validateConfig(resumed.config, `${opts.resume} (its model config)`), opts);
    const saved = resumed.training as Record<string, unknown> | undefined;
    if (saved && saved.history !== undefined && !Array.isArray(saved.history)) {
      throw new CnnError('ERR_WEIGHTS_FILE', `${opts.resume}: bad header: training.history must be a list of epoch records`);
    }
    state = trainingStateOf(resumed.training);
    // The run continues on the same examples it started with.
    const savedLimit = resumed.training?.limit;
    if (limit === undefined && typeof savedLimit === 'number') limit = savedLimit;
  } else {
    const resolved = resolveConfig(opts.config!);
    configPath = resolved.path;
    config = applyOverrides(resolved.config, opts);
  }
  // IDX paths become absolute before they are stored in the weights file (works from any folder).
  config = anchorDatasetPaths(config, configDirOf(configPath));
  const out = resolve(opts.out ?? opts.resume ?? `${config.name === 'sequential' && configPath ? configPath.replace(/^.*\//, '').replace(/\.json$/, '') : config.name}.weights.bin`);
  const outputs = new RunOutputs(out, state);
  const outOption = opts.out !== undefined || !opts.resume ? '--out' : '--resume';
  if (!root) return runTraining(); // rank 0 checks, locks and writes the outputs
  await checkWritable([
    { option: outOption, path: out },
    { option: outOption, path: out, file: outputs.historyPath },
    ...(opts.plot ? [{ option: '--plot', path: resolve(opts.plot) }] : []),
  ]);
  const lock = await lockOutput(out);
  const releaseAtExit = () => lock.releaseSync();
  process.on('exit', releaseAtExit);
  const resumingInPlace = Boolean(opts.resume) && resolve(opts.resume!) === out;
  try {
    await outputs.begin(resumingInPlace, state.history);
    return await runTraining();
  } finally {
    await lock.release();
    process.off('exit', releaseAtExit);
  }

  async function runTraining(): Promise<number> {
    spinner.start(`Loading the dataset`);
    // Training reads no test images, and with --limit only the first N training images.
    const dataset = await datasetForConfig(config, { dataDir: opts.dataDir, configDir: configDirOf(configPath), splits: ['train'], trainLimit: limit, ...spinnerCallbacks(spinner) });
    const t = dataset.train;
    spinner.succeed(`Loaded ${dataset.name}: ${t.available !== undefined ? `the first ${groupThousands(t.count)} of ${groupThousands(t.available)}` : groupThousands(t.count)} training images`);
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
    const model = resumed ? modelFromContents(config, resumed, opts.resume!, state) : new Sequential(config, true, undefined, state);
    model.native(); // built now, under the spinner
    spinner.stop();
    const tensorboard = opts.logdir !== undefined && root ? openLogdir(opts.logdir, config) : undefined;
    const callbacks = callbacksOfRank(callbacksFromConfig(config.callbacks), root);

    const progress = new ProgressLine({ stream: stdout });
    // Kept until the end, so a signal during the last save does not kill the process mid-write.
    const stop = watchStopSignals({
      first: (signal) => {
        if (!json) stderr.write(`\n${STOP_WORDS[signal].stopping}\n`);
      },
      again: (signal) => process.exit(SIGNAL_EXIT_CODES[signal]),
    });
    const save = async () => (root ? outputs.save(model.weightsContents(limit ?? null), state) : undefined);
    try {
      let status: 'done' | 'cancelled' | 'stopped';
      try {
        status = await trainModel(model, trainSet, validation, {
          epochStart: (epoch, epochs, steps) => {
            if (!json) progress.epochHeader(epoch + 1, epochs, steps);
          },
          batch: (step, _steps, m) => {
            if (!json) progress.update(step, { accuracy: m.accuracy, loss: m.loss });
          },
          epochEnd: async (record) => {
            const logProblem = tensorboard && logEpoch(tensorboard, model.native(), config, record); // on disk before the epoch is reported
            if (logProblem) stderr.write(`\ncnn: warning: ${logProblem}\n`);
            if (json) {
              stdout.write(`${JSON.stringify({ event: 'epoch', ...roundRecord(record) })}\n`);
            } else {
              const metrics: Record<string, number> = { accuracy: record.accuracy, loss: record.loss };
              if (record.val_loss !== undefined) Object.assign(metrics, { val_accuracy: record.val_accuracy!, val_loss: record.val_loss });
              progress.finish(metrics);
            }
            await save(); // every finished epoch is on disk, weights and history: nothing is lost to a crash
          },
        }, stop.cancel, callbacks, dist);
      } catch (e) {
        progress.interrupt();
        if ((e as CnnError).code === 'ERR_NON_FINITE') {
          if (outputs.hasUnsaved(state)) await save();
          throw new CnnError('ERR_NON_FINITE', `${(e as Error).message}. The last good weights are in ${out}`);
        }
        throw e;
      }

      if (status === 'stopped') reportEarlyStop(callbacks);
      // A finished epoch was saved when it ended: only a stop in the middle of one has more to save
      // (or a finished checkpoint resumed into a new --out, which has nothing left to train), or weights
      // a callback set when training ended (EarlyStopping's restore_best_weights).
      const restored = status !== 'cancelled' && callbacks.some((c) => c instanceof EarlyStopping && c.bestWeights !== null);
      if (outputs.hasUnsaved(state) || restored || (status === 'done' && outputs.saved === undefined && !resumingInPlace)) {
        spinner.start(`Saving ${out}`);
        try {
          await save();
        } finally {
          spinner.stop();
        }
      }
      if (status === 'cancelled') return reportStopped(stop.signal ?? 'SIGINT', progress);
      if (opts.plot && root) {
        const { writeHistoryPlot } = await import('../../viz/index.js');
        try {
          await writeHistoryPlot(state.history, opts.plot);
        } catch (e) {
          throw new CnnError((e as CnnError).code ?? 'ERR_WRITE_IMAGE', `${(e as Error).message}; the weights and their history were saved (${out}, ${outputs.historyPath})`);
        }
      }
      if (json) stdout.write(`${JSON.stringify({ event: 'saved', path: out })}\n`);
      else stdout.write(`Saved weights to ${out}\n`);
      return ExitCode.ok;
    } finally {
      tensorboard?.close();
      stop.dispose();
    }
  }

  /** Says which callback ended the run before its epochs, and whose weights the file holds. */
  function reportEarlyStop(list: CallbackHooks[]): void {
    const early = list.find((c): c is EarlyStopping => c instanceof EarlyStopping && c.stoppedEpoch > 0);
    if (!early) return;
    const restoredEpoch = early.restoreBestWeights && early.bestWeights !== null ? early.bestEpoch + 1 : undefined;
    if (json) {
      stdout.write(`${JSON.stringify({ event: 'early_stopping', epoch: early.stoppedEpoch + 1, monitor: early.monitor, restored_epoch: restoredEpoch ?? null })}\n`);
    } else {
      const restored = restoredEpoch !== undefined ? `; the weights are those of epoch ${restoredEpoch}, the best` : '';
      stdout.write(`EarlyStopping: ${early.monitor} did not improve for ${early.patience} epoch${early.patience === 1 ? '' : 's'}; stopped after epoch ${early.stoppedEpoch + 1} of ${config.epochs}${restored}\n`);
    }
  }

  function reportStopped(signal: StopSignal, progress: ProgressLine): number {
    progress.interrupt();
    const where = `epoch ${state.epoch + 1}, step ${state.step}`;
    const saved = outputs.saved !== undefined;
    if (json) {
      stdout.write(`${JSON.stringify({ event: 'interrupted', signal, path: saved ? out : null, epoch: state.epoch + 1, step: state.step })}\n`);
    } else if (saved) {
      stderr.write(`${STOP_WORDS[signal].stopped} at ${where}. Checkpoint saved to ${out}\nContinue with: cnn train --resume ${out}\n`);
    } else {
      stderr.write(`${STOP_WORDS[signal].stopped} before the first batch: nothing to save (${out} is as it was)\n`);
    }
    return SIGNAL_EXIT_CODES[signal];
  }
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
