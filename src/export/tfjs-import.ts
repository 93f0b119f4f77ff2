/**
 * Reads a TensorFlow.js layers model (model.json plus its weight files) of the layers cnn supports
 * and turns it into a cnn weights file's contents: a config (validated like any other) and the
 * weights by layer. Models written by `cnn export --format tfjs` come back exactly, their cnn config
 * (dataset, preprocessing, optimizer) included; models from Keras's tensorflowjs converter work too.
 */
import { dirname, join } from 'node:path';
import { CnnError, usageError } from '../errors.js';
import { ACTIVATIONS, type ModelConfig } from '../model/config.js';
import { layerParamTensors } from '../model/params.js';
import { inferShapes } from '../model/shapes.js';
import { validateConfig } from '../model/validate.js';
import { describeValue } from '../model/validate-core.js';
import type { WeightsContents, WeightsTensor } from '../model/weights-file.js';
import { readRegularFile } from '../util/read-regular-file.js';
import { LEAKY_RELU_SLOPE, LEAKY_SUFFIX } from './tfjs-layers.js';
import { readManifestWeights, type ManifestWeight } from './tfjs-manifest.js';

export interface ImportOptions {
  /** Overrides the dataset the model is for (a name or nothing). */
  dataset?: string;
  rescale?: number;
  offset?: number;
}

type Json = Record<string, unknown>;

const SUPPORTED = ['Conv2D', 'MaxPooling2D', 'AveragePooling2D', 'Flatten', 'Dense', 'Dropout', 'BatchNormalization', 'GlobalAveragePooling2D', 'Activation', 'LeakyReLU', 'InputLayer'];
const CLASS_ALIASES: Record<string, string> = { MaxPool2D: 'MaxPooling2D', AvgPool2D: 'AveragePooling2D', GlobalAvgPool2D: 'GlobalAveragePooling2D', Convolution2D: 'Conv2D' };

function importError(path: string, message: string): CnnError {
  return new CnnError('ERR_IMPORT', `${path}: ${message}`);
}

/** camelCase keys (as TensorFlow.js holds them in memory) to Keras's snake_case. */
function snakeKeys(obj: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
  return out;
}

/** Far above any real model.json (the weights live in their own files). */
const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;

async function readJson(path: string): Promise<Json> {
  let text: string;
  try {
    text = (await readRegularFile(path, MAX_MODEL_JSON_BYTES)).toString('utf8');
  } catch (e) {
    throw new CnnError('ERR_IMPORT', `cannot read ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw importError(path, `not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(json)) throw importError(path, `is ${describeJson(json)}, not a TensorFlow.js model.json (a JSON object with modelTopology and weightsManifest)`);
  return json;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** "a list", "the number 5" ... for messages about a value of the wrong kind. */
function describeJson(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (typeof v === 'object') return 'an object';
  return `the ${typeof v} ${describeValue(v, 40)}`;
}

const LAYERS_HINT = 'cnn imports TensorFlow.js layers models of class Sequential (tfjs.converters.save_keras_model, or tensorflowjs_converter --output_format tfjs_layers_model on a Sequential Keras model)';

function modelLayers(path: string, modelJson: Json): { name: string; layers: { className: string; config: Json }[] } {
  if (modelJson.format === 'graph-model' || (isObject(modelJson.modelTopology) && 'node' in modelJson.modelTopology)) {
    throw importError(path, `is a TensorFlow.js graph model (a frozen TensorFlow graph, not layers); ${LAYERS_HINT}`);
  }
  let topology = modelJson.modelTopology;
  if (!isObject(topology)) throw importError(path, `has no modelTopology object (found ${describeJson(topology)}); ${LAYERS_HINT}`);
  if (isObject(topology.model_config)) topology = topology.model_config; // the Python converter's wrapping
  const className = (topology as Json).class_name;
  if (typeof className !== 'string') {
    throw importError(path, `modelTopology has no class_name (found ${describeJson(className)}); ${LAYERS_HINT}`);
  }
  if (className !== 'Sequential') {
    const kind = className === 'Functional' || className === 'Model' ? `a ${className} (functional API) model` : `a model of class ${describeValue(className)}`;
    throw importError(path, `is ${kind}; ${LAYERS_HINT}`);
  }
  const cfg = (topology as Json).config;
  const list = Array.isArray(cfg) ? cfg : isObject(cfg) ? cfg.layers : undefined;
  if (!Array.isArray(list)) throw importError(path, `modelTopology.config.layers must be a list of layers, found ${describeJson(list)}`);
  if (list.length === 0) throw importError(path, 'the model has no layers');
  const name = isObject(cfg) && typeof cfg.name === 'string' ? cfg.name : 'imported';
  return {
    name,
    layers: list.map((l, i) => {
      if (!isObject(l) || typeof l.class_name !== 'string' || !isObject(l.config)) {
        throw importError(path, `layer ${i} has no class_name and config`);
      }
      return { className: CLASS_ALIASES[l.class_name] ?? l.class_name, config: snakeKeys(l.config) };
    }),
  };
}

function activationOf(path: string, where: string, value: unknown): string {
  const name = value === undefined || value === null ? 'linear' : value;
  if (typeof name !== 'string') throw importError(path, `${where}: activation ${describeValue(value)} is not a plain activation name`);
  const canonical = name === 'silu' ? 'swish' : name;
  if (!(ACTIVATIONS as readonly string[]).includes(canonical)) {
    throw importError(path, `${where}: activation "${name}" is not supported (cnn has ${ACTIVATIONS.join(', ')})`);
  }
  return canonical;
}

function checkLeakySlope(path: string, where: string, config: Json): void {
  const alpha = typeof config.alpha === 'number' ? config.alpha : typeof config.negative_slope === 'number' ? config.negative_slope : 0.3;
  if (Math.abs(alpha - LEAKY_RELU_SLOPE) > 1e-6) {
    throw importError(path, `${where}: LeakyReLU with slope ${alpha}; cnn's leaky_relu has slope ${LEAKY_RELU_SLOPE}`);
  }
}

const COPIED_KEYS: Record<string, string[]> = {
  Conv2D: ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'use_bias'],
  Dense: ['units', 'use_bias'],
  MaxPooling2D: ['pool_size', 'strides', 'padding'],
  AveragePooling2D: ['pool_size', 'strides', 'padding'],
  Dropout: ['rate'],
  BatchNormalization: ['momentum', 'epsilon', 'center', 'scale'],
  GlobalAveragePooling2D: [],
  Flatten: [],
  Activation: [],
};

/** The cnn layer list, folding each `X` + LeakyReLU `X_leaky_relu` pair back into one layer. */
function convertLayers(path: string, layers: { className: string; config: Json }[]): { inputShape: number[] | undefined; layers: Json[] } {
  let inputShape: number[] | undefined;
  const out: Json[] = [];
  layers.forEach(({ className, config }, i) => {
    const name = typeof config.name === 'string' ? config.name : `layer_${i}`;
    const where = `layer ${i} (${name}, ${className})`;
    const batchShape = (config.batch_input_shape ?? config.batch_shape) as unknown;
    if (Array.isArray(batchShape) && !inputShape) inputShape = batchShape.slice(1) as number[];
    if (!SUPPORTED.includes(className)) {
      throw importError(path, `${where} is not supported; cnn imports ${SUPPORTED.filter((s) => s !== 'InputLayer').join(', ')}`);
    }
    if (className === 'InputLayer') return;
    if (className === 'LeakyReLU') {
      checkLeakySlope(path, where, config);
      const prev = out[out.length - 1];
      if (prev && name === `${String(prev.name)}${LEAKY_SUFFIX}` && prev.activation === 'linear') prev.activation = 'leaky_relu';
      else out.push({ type: 'Activation', name, activation: 'leaky_relu' });
      return;
    }
    if ((className.includes('Pooling') || className === 'Flatten') && config.data_format === 'channels_first') {
      throw importError(path, `${where}: data_format channels_first is supported for Conv2D only`);
    }
    if (className === 'BatchNormalization') {
      const axis = Array.isArray(config.axis) ? config.axis[0] : config.axis;
      if (axis !== undefined && axis !== -1 && !(inputShape && axis === inputShape.length)) {
        throw importError(path, `${where}: axis ${describeValue(config.axis)}; cnn normalizes the last axis only`);
      }
    }
    const layer: Json = { type: className, name };
    for (const key of COPIED_KEYS[className]) if (config[key] !== undefined && config[key] !== null) layer[key] = config[key];
    if (className === 'MaxPooling2D' || className === 'AveragePooling2D') if (config.strides === null) delete layer.strides;
    if (className === 'Conv2D' || className === 'Dense' || className === 'Activation') layer.activation = activationOf(path, where, config.activation);
    out.push(layer);
  });
  return { inputShape, layers: out };
}

function findWeight(weights: Map<string, ManifestWeight>, layer: string, param: string) {
  const exact = weights.get(`${layer}/${param}`);
  if (exact) return exact;
  for (const [name, w] of weights) if (name.endsWith(`/${layer}/${param}`)) return w;
  return undefined;
}

/** `--dataset`, `--rescale` and `--offset` of `cnn import` over what the model file carries (both formats). */
export function applyImportOptions(raw: Record<string, unknown>, options: ImportOptions): void {
  if (options.dataset !== undefined) raw.dataset = options.dataset;
  if (options.rescale !== undefined || options.offset !== undefined) {
    const prev = (raw.preprocessing as Record<string, unknown> | undefined) ?? {};
    raw.preprocessing = { ...prev, ...(options.rescale !== undefined ? { rescale: options.rescale } : {}), ...(options.offset !== undefined ? { offset: options.offset } : {}) };
  }
}

export async function importTfjsModel(modelPath: string, options: ImportOptions = {}): Promise<WeightsContents> {
  const path = modelPath.endsWith('.json') ? modelPath : join(modelPath, 'model.json');
  const modelJson = await readJson(path);
  const { name, layers } = modelLayers(path, modelJson);
  const converted = convertLayers(path, layers);
  if (!converted.inputShape) {
    throw importError(path, 'the first layer gives no batch_input_shape with fixed sizes (e.g. [null, 28, 28, 1])');
  }
  if (converted.inputShape.length === 0 || converted.inputShape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1)) {
    throw importError(path, `the first layer's batch_input_shape [null, ${converted.inputShape.slice(0, 8).map((d) => describeValue(d, 20)).join(', ')}${converted.inputShape.length > 8 ? ', ...' : ''}] must give fixed sizes, whole numbers >= 1 (e.g. [null, 28, 28, 1])`);
  }
  // A model cnn exported carries its whole config; start from it so nothing is lost on the way back.
  const metadata = modelJson.userDefinedMetadata;
  const cnnMeta = isObject(metadata) ? metadata.cnn : undefined;
  const carried = isObject(cnnMeta) && isObject(cnnMeta.config) ? cnnMeta.config : undefined;
  // Keep what the TensorFlow.js format cannot say (initializers, regularizers, dropout seeds) from the
  // carried config, for layers still there under the same name and type.
  const carriedList = Array.isArray(carried?.layers) ? (carried.layers as unknown[]).filter(isObject) : [];
  const carriedLayers = new Map(carriedList.map((l) => [l.name, l]));
  const mergedLayers = converted.layers.map((l) => {
    const before = carriedLayers.get(l.name);
    return before && before.type === l.type ? { ...before, ...l } : l;
  });
  const raw: Json = { ...(carried ?? { name }), input_shape: converted.inputShape, layers: mergedLayers };
  applyImportOptions(raw, options);
  let config: ModelConfig;
  try {
    config = validateConfig(raw, `${path} (as a cnn config)`);
  } catch (e) {
    if (e instanceof CnnError) throw usageError(e.code, e.message);
    throw e;
  }
  const weights = await readManifestWeights(path, dirname(path), modelJson.weightsManifest);
  const shapes = inferShapes(config);
  const tensors: WeightsTensor[] = [];
  config.layers.forEach((layer, i) => {
    for (const p of layerParamTensors(layer, shapes[i].input)) {
      const w = findWeight(weights, layer.name, p.name);
      if (!w) throw importError(path, `has no weight ${layer.name}/${p.name} for layer ${layer.name}`);
      if (w.shape.join(',') !== p.shape.join(',')) {
        throw importError(path, `weight ${layer.name}/${p.name} has shape [${w.shape.join(', ')}] but the layer needs [${p.shape.join(', ')}]`);
      }
      tensors.push({ name: `${layer.name}/${p.name}`, layer: layer.name, shape: [...p.shape], data: w.data, trainable: p.trainable });
    }
  });
  return { config, tensors };
}
