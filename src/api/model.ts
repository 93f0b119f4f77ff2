/**
 * Sequential: a validated model config plus the native network it builds, with Keras's methods.
 * The native network is built when first needed and freed by its finalizer when the model is
 * garbage-collected: there is nothing to dispose.
 */
import { usageError } from '../errors.js';
import type { LayerConfig, ModelConfig } from '../model/config.js';
import { modelParams } from '../model/params.js';
import { formatSummary } from '../model/summary.js';
import { validateConfig } from '../model/validate.js';
import { writeWeightsFile, type WeightsContents } from '../model/weights-file.js';
import { loadNative, type NativeNetwork } from '../native.js';
import { buildNetwork } from '../train/model.js';
import { captureOptimizer, captureParams } from '../train/network-state.js';
import { evaluateSet, initialState, type ExampleSet, type TrainState } from '../train/trainer.js';
import { kerasMean } from '../train/metrics.js';
import type { History } from './callbacks.js';
import { runFit, type FitArgs } from './fit.js';
import { readExamples, readImages, takeFirst, type ImageInput, type LabelInput, type TrainingData } from './inputs.js';
import { isPlainObject } from './keys.js';
import { lossToConfig, optimizerToConfig, type LossName, type OptimizerArg } from './optimizers.js';

/** One parameter tensor: Keras's layout (conv kernel (kh, kw, in, out), dense kernel (in, out)). */
export interface Weight {
  /** layer/param, e.g. "conv2d/kernel". */
  name: string;
  layer: string;
  shape: number[];
  data: Float32Array;
  trainable: boolean;
}

export interface CompileArgs {
  optimizer?: OptimizerArg;
  loss: LossName;
  metrics?: ('accuracy' | 'acc')[];
}

export interface EvaluateArgs {
  /** Examples per native batch (default 256); the results do not depend on it. */
  batchSize?: number;
  /** Evaluate only the first N examples. */
  limit?: number;
}

export interface EvaluateResult {
  loss: number;
  accuracy?: number;
}

/** Class probabilities, row-major: data[i * classes + c]. */
export interface Prediction {
  data: Float32Array;
  shape: [number, number];
}

/** The learning rate and step count of the model's optimizer (model.optimizer). */
export interface OptimizerState {
  readonly type: string;
  /** Read as float32, as Keras keeps it; setting it takes effect at the next batch. */
  learningRate: number;
  readonly iterations: number;
}

/** A layer of the model: its Keras config, shapes (batch axis as null) and weights. */
export class Layer {
  constructor(
    private readonly owner: Sequential,
    readonly config: Readonly<LayerConfig>,
    readonly inputShape: readonly (number | null)[],
    readonly outputShape: readonly (number | null)[],
    private readonly params: number,
  ) {}

  get name(): string {
    return this.config.name;
  }
  /** The Keras class name: Conv2D, Dense ... */
  get className(): string {
    return this.config.type;
  }
  countParams(): number {
    return this.params;
  }
  getWeights(): Weight[] {
    return this.owner.getWeights().filter((w) => w.layer === this.name);
  }
}

/** Keras's native learning-rate setter, when the addon has one (see the report: not yet). */

export class Sequential {
  /** Set to true (by a callback, or between batches) to end fit after the current batch. */
  stopTraining = false;
  private cfg: ModelConfig;
  private compiled: boolean;
  private net: NativeNetwork | undefined;
  private layerList: Layer[] | undefined;
  /** @internal Finished epochs and their history, stored in saved files for resuming (as cnn train does). */
  trainingState: TrainState;
  readonly optimizer: OptimizerState;

  /** @internal Use sequential(), modelFromConfig() or loadModel(). */
  constructor(config: ModelConfig, compiled: boolean, net?: NativeNetwork, state?: TrainState) {
    this.cfg = config;
    this.compiled = compiled;
    this.net = net;
    this.trainingState = state ?? initialState();
    const model = this;
    this.optimizer = {
      get type() {
        return model.cfg.optimizer.type;
      },
      get learningRate() {
        return Math.fround(model.cfg.optimizer.learning_rate);
      },
      set learningRate(lr: number) {
        model.setLearningRate(lr);
      },
      get iterations() {
        return model.net ? model.net.getIterations() : 0;
      },
    };
  }

  get name(): string {
    return this.cfg.name;
  }

  /** The normalized model config (a copy): what a config file for this model would hold. */
  get config(): ModelConfig {
    return structuredClone(this.cfg);
  }

  get layers(): Layer[] {
    if (!this.layerList) {
      const p = modelParams(this.cfg);
      this.layerList = this.cfg.layers.map(
        (layer, i) => new Layer(this, layer, [null, ...p.shapes[i].input], [null, ...p.shapes[i].output], p.layers[i].total),
      );
    }
    return this.layerList;
  }

  get inputShape(): (number | null)[] {
    return [null, ...this.cfg.input_shape];
  }

  get outputShape(): (number | null)[] {
    return [...this.layers[this.layers.length - 1].outputShape];
  }

  countParams(): number {
    return modelParams(this.cfg).total;
  }

  /** Keras 3's model.summary() table, as text. `lineLength` defaults to Keras's 76 outside a terminal. */
  summary(options: { lineLength?: number } = {}): string {
    const trained = this.net !== undefined && this.net.getIterations() > 0;
    return formatSummary(this.cfg, {
      columns: options.lineLength !== undefined ? options.lineLength + 4 : undefined,
      optimizer: trained ? { type: this.cfg.optimizer.type, slots: this.net!.optimizerSlots() } : undefined,
    });
  }

  /** Sets the optimizer, loss and metrics (Keras: compile resets the optimizer's state). */
  compile(args: CompileArgs): void {
    if (!isPlainObject(args)) throw usageError('ERR_BAD_OPTION', "compile() takes { optimizer, loss, metrics }, e.g. { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] }");
    const raw: Record<string, unknown> = {
      ...this.cfg,
      optimizer: args.optimizer === undefined ? 'rmsprop' : optimizerToConfig(args.optimizer),
      loss: lossToConfig(args.loss),
      metrics: args.metrics ?? [],
    };
    const config = validateConfig(raw, 'compile()');
    const params = this.net ? this.getWeights() : undefined;
    this.cfg = config;
    this.compiled = true;
    this.net = undefined;
    if (params) this.setWeights(params);
  }

  /** @internal The native network, built on first use. */
  native(): NativeNetwork {
    this.net ??= buildNetwork(this.cfg);
    return this.net;
  }

  /** @internal */
  get normalizedConfig(): ModelConfig {
    return this.cfg;
  }

  /** @internal */
  requireCompiled(what: string): void {
    if (!this.compiled) throw usageError('ERR_NOT_COMPILED', `You must call compile() before ${what}()`);
  }

  private setLearningRate(lr: number): void {
    // > 0 as in a config file, so that a saved model's config stays valid.
    if (typeof lr !== 'number' || !(lr > 0) || !Number.isFinite(lr)) {
      throw usageError('ERR_BAD_OPTION', `optimizer.learningRate must be a finite number > 0, got ${String(lr)}`);
    }
    // The native optimizer keeps its slots and step count: training continues from the next batch.
    // First, so that a refusal (ERR_BUSY while a batch runs) leaves the config as it was.
    this.net?.setLearningRate(lr);
    this.cfg = { ...this.cfg, optimizer: { ...this.cfg.optimizer, learning_rate: lr } };
  }

  /** Every weight, in layer order (kernel before bias; BatchNormalization's moving statistics too). */
  getWeights(): Weight[] {
    const net = this.native();
    return captureParams(net).map((t) => ({ name: t.name, layer: t.layer, shape: t.shape, data: t.data, trainable: t.trainable ?? true }));
  }

  /** Replaces the weights: a list like getWeights() returns (same order, shapes and sizes). */
  setWeights(weights: readonly { shape: readonly number[]; data: Float32Array }[]): void {
    const net = this.native();
    const params = net.params();
    if (!Array.isArray(weights) || weights.length !== params.length) {
      throw usageError('ERR_BAD_WEIGHTS', `setWeights() needs ${params.length} arrays (one per weight, as getWeights() returns), got ${Array.isArray(weights) ? weights.length : typeof weights}`);
    }
    params.forEach((p, i) => {
      const w = weights[i];
      const name = `${p.layer}/${p.name}`;
      if (!(w?.data instanceof Float32Array)) throw usageError('ERR_BAD_WEIGHTS', `setWeights(): weights[${i}] (${name}) needs data as a Float32Array`);
      if (w.shape.join(',') !== p.shape.join(',')) {
        throw usageError('ERR_BAD_WEIGHTS', `setWeights(): weights[${i}] (${name}) has shape (${w.shape.join(', ')}) but the layer needs (${p.shape.join(', ')})`);
      }
    });
    params.forEach((_, i) => net.setParam(i, weights[i].data));
  }

  /** Trains; see FitArgs for Keras's options. Resolves with the History. */
  fit(data: TrainingData, args?: FitArgs): Promise<History>;
  fit(x: ImageInput, y: LabelInput, args?: FitArgs): Promise<History>;
  async fit(x: unknown, y?: unknown, args?: unknown): Promise<History> {
    this.requireCompiled('fit');
    const [labels, options] = splitArgs<FitArgs>(y, args);
    return runFit(this, x, labels, options);
  }

  /** Loss and accuracy on a dataset's test split, a labelled set, or images with labels. */
  evaluate(data: TrainingData, args?: EvaluateArgs): Promise<EvaluateResult>;
  evaluate(x: ImageInput, y: LabelInput, args?: EvaluateArgs): Promise<EvaluateResult>;
  async evaluate(x: unknown, y?: unknown, args?: unknown): Promise<EvaluateResult> {
    this.requireCompiled('evaluate');
    const [labels, options] = splitArgs<EvaluateArgs>(y, args);
    const set = takeFirst(readExamples(x, labels, this.shape(), 'test', 'evaluate(x)'), checkLimit(options.limit, 'evaluate'));
    const net = this.native();
    const p = this.cfg.preprocessing;
    const r = await net.evaluate(set.images, set.labels, { batchSize: checkBatch(options.batchSize, 256, 'evaluate'), scale: p.rescale, offset: p.offset });
    const out: EvaluateResult = { loss: kerasMean(r.lossSum, r.count) };
    if (this.cfg.metrics.includes('accuracy')) out.accuracy = kerasMean(r.correct, r.count);
    return out;
  }

  /** Class probabilities of images (a Uint8Array, {data, shape}, or a dataset's test images). */
  async predict(x: ImageInput | TrainingData, args: { batchSize?: number } = {}): Promise<Prediction> {
    const source = isPlainObject(x) && 'test' in x ? (x as { test: { images: Uint8Array } }).test.images : isPlainObject(x) && 'images' in x ? (x as { images: Uint8Array }).images : x;
    const { images, count } = readImages(source, this.shape(), 'predict(x)');
    const net = this.native();
    const p = this.cfg.preprocessing;
    const r = await net.evaluate(images, new Uint8Array(count), { batchSize: checkBatch(args.batchSize, 256, 'predict'), scale: p.rescale, offset: p.offset, probs: true });
    return { data: r.probs!, shape: [count, net.numClasses()] };
  }

  /** Writes the weights file (atomically, checksummed): config, weights, optimizer state, training state. */
  async save(path: string): Promise<void> {
    if (typeof path !== 'string' || path === '') throw usageError('ERR_BAD_OPTION', 'save(path): path must be a non-empty string');
    await writeWeightsFile(path, this.weightsContents());
  }

  /** @internal Loss, accuracy and (with probs) the class probabilities of an example set in one pass (cnn eval). */
  evaluateExamples(set: ExampleSet, probs = false): ReturnType<typeof evaluateSet> {
    const p = this.cfg.preprocessing;
    return evaluateSet(this.native(), set, { scale: p.rescale, offset: p.offset }, probs);
  }

  /** @internal What save() writes: config, weights, optimizer state, training state (`limit`: cnn train --limit). */
  weightsContents(limit: number | null = null): WeightsContents {
    const net = this.native();
    return {
      config: this.cfg,
      tensors: captureParams(net),
      optimizer: captureOptimizer(net, this.cfg.optimizer.type),
      training: { ...this.trainingState, limit, threads: loadNative().info().threads },
    };
  }

  /** @internal */
  shape(): { inputShape: readonly number[]; classes: number } {
    const out = modelParams(this.cfg).shapes.at(-1)!.output;
    return { inputShape: this.cfg.input_shape, classes: out[out.length - 1] };
  }
}

function splitArgs<T>(y: unknown, args: unknown): [unknown, T] {
  // fit(data, options): the second argument is the options when it is a plain object of options.
  if (args === undefined && isPlainObject(y) && !('data' in y)) return [undefined, y as T];
  if (args !== undefined && !isPlainObject(args)) throw usageError('ERR_BAD_OPTION', 'the options must be an object');
  return [y, (args ?? {}) as T];
}

export function checkBatch(v: unknown, fallback: number, what: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65536) {
    throw usageError('ERR_BAD_OPTION', `${what}(): batchSize must be an integer from 1 to 65536, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function checkLimit(v: unknown, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw usageError('ERR_BAD_OPTION', `${what}(): limit must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}
