/**
 * Validates a model config (parsed JSON) before anything runs and returns it normalized, with every
 * Keras default filled in. Every problem is collected and reported at once as a ConfigError (exit code
 * 2) naming the file, the JSON path (layers[1].kernel_size) and the layer (conv2d_1 (Conv2D)).
 */
import { readRegularFileSync } from '../util/read-regular-file.js';
import { usageError } from '../errors.js';
import {
  BUILTIN_DATASETS,
  isFolderDataset,
  LOSSES,
  OPTIMIZER_DEFAULTS,
  snakeCaseLayerName,
  type BuiltinDatasetName,
  type DatasetConfig,
  type LayerConfig,
  type LayerType,
  type ModelConfig,
  type OptimizerConfig,
  type OptimizerName,
  type PreprocessingConfig,
} from './config.js';
import { layerParamTensors } from './params.js';
import { formatShapeTuple, layerOutputShape } from './shapes.js';
import {
  checkChoice,
  checkKeys,
  ConfigError,
  describeValue,
  isPlainObject,
  joinPath,
  readBool,
  readInt,
  readNumber,
  readString,
  report,
  type ConfigIssue,
  type Ctx,
} from './validate-core.js';
import { checkLayerConstants, readLayer, readLayerType } from './validate-layers.js';
import { readDataset } from './validate-dataset.js';
import { readCallbacks } from './validate-callbacks.js';
import { INT32_MAX, MAX_BATCH_SIZE, MAX_SEED, MAX_VALUES_PER_EXAMPLE } from './validate-limits.js';

const TOP_LEVEL_KEYS = [
  'name',
  'description',
  'input_shape',
  'layers',
  'dataset',
  'loss',
  'optimizer',
  'metrics',
  'epochs',
  'batch_size',
  'validation_split',
  'shuffle',
  'seed',
  'preprocessing',
  'callbacks',
];

function readLayerName(ctx: Ctx, v: unknown, path: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  // Keras 3 refuses only "/" (it separates a layer's name from its weights' names); spaces, brackets
  // and any script are fine. cnn also refuses the empty name, which no file format can address.
  if (typeof v !== 'string' || v === '' || v.includes('/')) {
    report(ctx, joinPath(path, 'name'), `must be a non-empty string without "/" (Keras uses "/" between a layer's name and its weights'), got ${describeValue(v)}`);
    return undefined;
  }
  return v;
}

function readShape(ctx: Ctx, v: unknown, path: string): number[] | undefined {
  const ok = Array.isArray(v) && (v.length === 1 || v.length === 3) && v.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 && n <= INT32_MAX);
  if (!ok) {
    report(ctx, path, `must be [height, width, channels] (or [features]) of integers from 1 to ${INT32_MAX}, e.g. [28, 28, 1]; got ${describeValue(v)}`);
    return undefined;
  }
  const values = (v as number[]).reduce((a, b) => a * b, 1);
  if (values > MAX_VALUES_PER_EXAMPLE) {
    report(ctx, path, `one example of shape ${JSON.stringify(v)} holds ${values} values, more than the limit of ${MAX_VALUES_PER_EXAMPLE}`);
    return undefined;
  }
  return [...(v as number[])];
}

interface LayersResult {
  layers: LayerConfig[];
  complete: boolean; // every layer was read and every shape inferred without problems
  output?: number[];
}

/** Types, names, arguments, then shapes layer by layer (stopping at the first unsound layer). */
function readLayers(ctx: Ctx, rawLayers: unknown, inputShape: number[] | undefined): LayersResult {
  if (!Array.isArray(rawLayers) || rawLayers.length === 0) {
    report(ctx, 'layers', `must be a non-empty array of layers, e.g. [{"type": "Flatten"}, {"type": "Dense", "units": 10, "activation": "softmax"}]; got ${describeValue(rawLayers)}`);
    return { layers: [], complete: false };
  }
  // Keras names layers conv2d, conv2d_1 ... in order; explicit names are kept and never reused.
  const types: (LayerType | undefined)[] = [];
  const explicit: (string | undefined)[] = [];
  rawLayers.forEach((raw, i) => {
    if (!isPlainObject(raw)) {
      report(ctx, `layers[${i}]`, `must be an object like {"type": "Dense", "units": 10}, got ${describeValue(raw)}`);
      types.push(undefined);
      explicit.push(undefined);
      return;
    }
    types.push(readLayerType(ctx, raw, `layers[${i}]`));
    explicit.push(readLayerName(ctx, raw.name, `layers[${i}]`));
    if (i > 0 && raw.input_shape !== undefined) {
      report(ctx, `layers[${i}].input_shape`, 'only the first layer may give input_shape (the others take the previous output)');
    }
  });
  // As in a fresh Keras session: each unnamed layer takes its class's next automatic name (conv2d,
  // conv2d_1 ...), whatever the explicit names; Sequential then refuses a name it already holds.
  const counters = new Map<string, number>();
  const seen = new Map<string, number>();
  const names = types.map((type, i) => {
    let name = explicit[i];
    if (name === undefined) {
      if (!type) return undefined;
      const base = snakeCaseLayerName(type);
      const n = counters.get(base) ?? 0;
      counters.set(base, n + 1);
      name = n === 0 ? base : `${base}_${n}`;
    }
    if (seen.has(name)) {
      report(
        ctx,
        explicit[i] === undefined ? `layers[${i}]` : `layers[${i}].name`,
        `All layers added to a Sequential model should have unique names. Name '${name}' is already the name of a layer in this model (layers[${seen.get(name)}]). Update the \`name\` argument to pass a unique name.`,
      );
      return undefined;
    }
    seen.set(name, i);
    return name;
  });

  const layers: LayerConfig[] = [];
  let complete = true;
  let shape = inputShape;
  rawLayers.forEach((raw, i) => {
    const type = types[i];
    const name = names[i];
    if (!isPlainObject(raw) || !type || !name) {
      complete = false;
      return;
    }
    const path = `layers[${i}]`;
    const layerCtx: Ctx = { issues: [], layer: `${name} (${type})` };
    const layer = readLayer(layerCtx, raw, path, type, name);
    layers.push(layer);
    if (layerCtx.issues.length === 0 && complete && shape) {
      const out = layerOutputShape(layer, shape);
      if (out.ok) {
        checkLayerConstants(layerCtx, layer, raw, path, layerParamTensors(layer, shape));
        shape = out.shape;
      } else {
        report(layerCtx, out.key ? joinPath(path, out.key) : path, out.message);
      }
    }
    if (layerCtx.issues.length > 0) complete = false;
    ctx.issues.push(...layerCtx.issues);
  });
  return { layers, complete: complete && shape !== undefined, output: shape };
}

/** The loss needs class probabilities: the last layer gives (classes,) through a softmax. */
function checkOutputLayer(ctx: Ctx, layers: LayerConfig[], output: number[], dataset: DatasetConfig | null): void {
  const i = layers.length - 1;
  const last = layers[i];
  const layerCtx: Ctx = { issues: ctx.issues, layer: `${last.name} (${last.type})` };
  const path = `layers[${i}]`;
  const softmax = (last.type === 'Dense' || last.type === 'Activation') && last.activation === 'softmax';
  if (!softmax || output.length !== 1) {
    const got = last.type === 'Dense' || last.type === 'Activation' ? ` with activation ${JSON.stringify(last.activation)}` : '';
    report(
      layerCtx,
      softmax ? path : last.type === 'Dense' || last.type === 'Activation' ? joinPath(path, 'activation') : path,
      `the loss needs class probabilities of shape (None, classes): the last layer must be a Dense layer with activation ` +
        `"softmax" (or an Activation "softmax" layer on a flat input); this one is ${last.type}${got} with output ${formatShapeTuple(output)}`,
    );
    return;
  }
  if (output[0] < 2) {
    report(layerCtx, last.type === 'Dense' ? joinPath(path, 'units') : path, `a softmax over ${output[0]} class cannot learn anything: give it at least 2 units`);
    return;
  }
  if (dataset === null) return;
  // A folder's classes are its subfolders: checked when it is loaded, unless the config names them.
  if (isFolderDataset(dataset) && !dataset.class_names) return;
  const classes = typeof dataset === 'string' ? BUILTIN_DATASETS[dataset].classes : isFolderDataset(dataset) ? dataset.class_names!.length : dataset.classes;
  if (output[0] !== classes) {
    const what = typeof dataset === 'string' ? dataset : 'the dataset';
    report(
      layerCtx,
      last.type === 'Dense' ? joinPath(path, 'units') : path,
      `the output has ${output[0]} classes but ${what} has ${classes}; the last Dense layer needs units ${classes}`,
    );
  }
}

function readOptimizer(ctx: Ctx, v: unknown): OptimizerConfig {
  const names = Object.keys(OPTIMIZER_DEFAULTS) as OptimizerName[];
  if (v === undefined || v === null) return { ...OPTIMIZER_DEFAULTS.rmsprop };
  if (typeof v === 'string') return { ...OPTIMIZER_DEFAULTS[checkChoice(ctx, v, 'optimizer', names, 'rmsprop', true)] };
  if (!isPlainObject(v)) {
    report(ctx, 'optimizer', `must be an optimizer name (${names.join(', ')}) or an object like {"type": "adam", "learning_rate": 0.001}; got ${describeValue(v)}`);
    return { ...OPTIMIZER_DEFAULTS.rmsprop };
  }
  if (v.type === undefined) {
    report(ctx, 'optimizer.type', `is required (one of ${names.join(', ')})`);
    return { ...OPTIMIZER_DEFAULTS.rmsprop };
  }
  const type = checkChoice(ctx, v.type, 'optimizer.type', names, 'rmsprop', true);
  const defaults = OPTIMIZER_DEFAULTS[type] as unknown as Record<string, number | boolean | string>;
  const args = Object.keys(defaults).filter((k) => k !== 'type');
  checkKeys(ctx, v, 'optimizer', ['type', ...args], `optimizer ${type}`);
  const out: Record<string, number | boolean | string> = { type };
  for (const key of args) {
    const d = defaults[key];
    if (typeof d === 'boolean') out[key] = readBool(ctx, v, 'optimizer', key, d);
    else if (key === 'learning_rate' || key === 'epsilon') out[key] = readNumber(ctx, v, 'optimizer', key, d as number, { min: 0, minExclusive: true });
    else if (key === 'beta_1' || key === 'beta_2' || key === 'rho' || key === 'momentum') out[key] = readNumber(ctx, v, 'optimizer', key, d as number, { min: 0, max: 1, maxExclusive: true });
    else out[key] = readNumber(ctx, v, 'optimizer', key, d as number, { min: 0 });
  }
  return out as unknown as OptimizerConfig;
}

function readMetrics(ctx: Ctx, v: unknown): string[] {
  if (v === undefined || v === null) return ['accuracy'];
  if (!Array.isArray(v)) {
    report(ctx, 'metrics', `must be an array such as ["accuracy"], got ${describeValue(v)}`);
    return ['accuracy'];
  }
  const out: string[] = [];
  v.forEach((m, i) => {
    const name = checkChoice(ctx, m === 'acc' ? 'accuracy' : m, `metrics[${i}]`, ['accuracy'] as const, 'accuracy');
    if (!out.includes(name)) out.push(name);
  });
  return out;
}

function readPreprocessing(ctx: Ctx, v: unknown): PreprocessingConfig {
  if (v === undefined || v === null) return { rescale: 1, offset: 0 };
  if (!isPlainObject(v)) {
    report(ctx, 'preprocessing', `must be an object like {"rescale": 0.00392156862745098}, got ${describeValue(v)}`);
    return { rescale: 1, offset: 0 };
  }
  checkKeys(ctx, v, 'preprocessing', ['rescale', 'offset'], 'preprocessing');
  return { rescale: readNumber(ctx, v, 'preprocessing', 'rescale', 1), offset: readNumber(ctx, v, 'preprocessing', 'offset', 0) };
}

/** Validates parsed JSON; `source` (usually the file path) starts every message. */
export function validateConfig(raw: unknown, source = 'model config'): ModelConfig {
  const ctx: Ctx = { issues: [] };
  if (!isPlainObject(raw)) {
    throw new ConfigError(source, [{ path: '', message: `the model config must be a JSON object, got ${describeValue(raw)}` }]);
  }
  checkKeys(ctx, raw, '', TOP_LEVEL_KEYS, 'the model config');
  const name = readString(ctx, raw, '', 'name', 'sequential');
  const description = raw.description === undefined ? undefined : readString(ctx, raw, '', 'description', '');

  // Keras also lets the first layer carry input_shape (Conv2D(..., input_shape=(28, 28, 1))).
  const firstLayer = Array.isArray(raw.layers) && isPlainObject(raw.layers[0]) ? raw.layers[0] : undefined;
  let inputShape: number[] | undefined;
  if (raw.input_shape !== undefined) {
    inputShape = readShape(ctx, raw.input_shape, 'input_shape');
    if (firstLayer?.input_shape !== undefined) report(ctx, 'layers[0].input_shape', 'input_shape is given twice (here and at the top level); keep one');
  } else if (firstLayer?.input_shape !== undefined) {
    inputShape = readShape(ctx, firstLayer.input_shape, 'layers[0].input_shape');
  } else {
    report(ctx, 'input_shape', 'is required: the shape of one example without the batch axis, e.g. [28, 28, 1]');
  }

  const dataset = readDataset(ctx, raw.dataset, raw.loss);
  const { layers, complete, output } = readLayers(ctx, raw.layers, inputShape);
  if (complete && output) checkOutputLayer(ctx, layers, output, dataset);
  if (inputShape && isFolderDataset(dataset)) {
    const channels = dataset.color_mode === 'grayscale' ? 1 : dataset.color_mode === 'rgb' ? 3 : 4;
    const image = [...dataset.image_size, channels];
    const got = inputShape.reduce((a, b) => a * b, 1);
    if (got !== image[0] * image[1] * image[2]) {
      report(ctx, 'dataset.image_size', `image_size ${JSON.stringify(dataset.image_size)} with color_mode "${dataset.color_mode}" makes ${image.join('x')} images, but input_shape ${JSON.stringify(inputShape)} holds ${got} values`);
    }
  }
  if (inputShape && typeof dataset === 'string') {
    const image = BUILTIN_DATASETS[dataset as BuiltinDatasetName].imageShape;
    const want = image.reduce((a, b) => a * b, 1);
    const got = inputShape.reduce((a, b) => a * b, 1);
    if (got !== want) {
      // The usual slip: a grey model's [28, 28, 1] kept for a colour dataset, or the other way round.
      const channelsOnly = inputShape.length === 3 && inputShape[0] === image[0] && inputShape[1] === image[1] && inputShape[2] !== image[2];
      const hint = channelsOnly ? ` (${dataset} images have ${image[2]} channel${image[2] === 1 ? '' : 's'}: use [${image.join(', ')}])` : '';
      report(ctx, raw.input_shape !== undefined ? 'input_shape' : 'layers[0].input_shape', `${dataset} images are ${image.join('x')} (${want} values) but input_shape ${JSON.stringify(inputShape)} holds ${got}${hint}`);
    }
  }

  const config: ModelConfig = {
    name,
    ...(description !== undefined ? { description } : {}),
    input_shape: inputShape ?? [],
    layers,
    dataset,
    loss: raw.loss === undefined || raw.loss === null ? 'sparse_categorical_crossentropy' : checkChoice(ctx, raw.loss, 'loss', LOSSES, 'sparse_categorical_crossentropy'),
    optimizer: readOptimizer(ctx, raw.optimizer),
    metrics: readMetrics(ctx, raw.metrics),
    epochs: readInt(ctx, raw, '', 'epochs', 1, { min: 1, max: INT32_MAX }),
    batch_size: readInt(ctx, raw, '', 'batch_size', 32, { min: 1, max: MAX_BATCH_SIZE }),
    validation_split: readNumber(ctx, raw, '', 'validation_split', 0, { min: 0, max: 1, maxExclusive: true }),
    shuffle: readBool(ctx, raw, '', 'shuffle', true),
    seed: readInt(ctx, raw, '', 'seed', 0, { min: 0, max: MAX_SEED }),
    preprocessing: readPreprocessing(ctx, raw.preprocessing),
  };
  const callbacks = readCallbacks(ctx, raw.callbacks);
  if (callbacks !== undefined) config.callbacks = callbacks;
  if (ctx.issues.length > 0) throw new ConfigError(source, inDocumentOrder(ctx.issues, Object.keys(raw)));
  return config;
}

/** Issues in the order their keys appear in the file (and layer by layer), however they were found. */
function inDocumentOrder(issues: ConfigIssue[], keys: string[]): ConfigIssue[] {
  const rank = (path: string): [number, number] => {
    const top = /^[^.[]*/.exec(path)?.[0] ?? '';
    const at = keys.indexOf(top);
    const layer = /^layers\[(\d+)\]/.exec(path);
    return [at < 0 ? keys.length : at, layer ? Number(layer[1]) : -1];
  };
  return issues
    .map((issue, i) => ({ issue, i, r: rank(issue.path) }))
    .sort((a, b) => a.r[0] - b.r[0] || a.r[1] - b.r[1] || a.i - b.i)
    .map((x) => x.issue);
}

/** Line and column of a character offset, for JSON syntax errors. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

/** Far above any real config: a config is a few kB of JSON. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** Reads, parses and validates a config file. */
export function loadConfigFile(path: string): ModelConfig {
  let text: string;
  try {
    // A regular file only (a FIFO or a device would block or never end), of a sane size.
    text = readRegularFileSync(path, MAX_CONFIG_BYTES).toString('utf8');
  } catch (e) {
    throw usageError('ERR_BAD_CONFIG', `cannot read the model config ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const at = /position (\d+)/.exec(msg);
    const oneLine = msg.replace(/\s*\n\s*/g, ' ');
    throw usageError('ERR_BAD_CONFIG', `${path}: not valid JSON${at ? ` at ${lineAndColumn(text, Number(at[1]))}` : ''}: ${oneLine}`);
  }
  return validateConfig(raw, path);
}
