/**
 * Reads a TensorFlow.js layers model (model.json plus its weight files) of the layers cnn supports
 * and turns it into a cnn weights file's contents: a config (validated like any other) and the
 * weights by layer. Models written by `cnn export --format tfjs` come back exactly, their cnn config
 * (dataset, preprocessing, optimizer) included; models from Keras's tensorflowjs converter work too.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CnnError, usageError } from '../errors.js';
import { ACTIVATIONS, type ModelConfig } from '../model/config.js';
import { layerParamTensors } from '../model/params.js';
import { inferShapes } from '../model/shapes.js';
import { validateConfig } from '../model/validate.js';
import type { WeightsContents, WeightsTensor } from '../model/weights-file.js';
import { describeFsError } from '../util/atomic-write.js';
import { LEAKY_RELU_SLOPE, LEAKY_SUFFIX } from './tfjs-layers.js';

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

async function readJson(path: string): Promise<Json> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CnnError('ERR_IMPORT', `cannot read ${path}: ${describeFsError(e)}`);
  }
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw importError(path, `not valid JSON (${(e as Error).message})`);
  }
}

function modelLayers(path: string, modelJson: Json): { name: string; layers: { className: string; config: Json }[] } {
  let topology = modelJson.modelTopology as Json | undefined;
  if (!topology || typeof topology !== 'object') throw importError(path, 'has no modelTopology: is it a TensorFlow.js layers model (not a graph model)?');
  if (topology.model_config) topology = topology.model_config as Json; // the Python converter's wrapping
  if (topology.class_name !== 'Sequential') {
    throw importError(path, `is a ${String(topology.class_name)} model; cnn imports Sequential models only`);
  }
  const cfg = topology.config as Json | unknown[];
  const list = (Array.isArray(cfg) ? cfg : (cfg?.layers as unknown[])) ?? [];
  if (!Array.isArray(list) || list.length === 0) throw importError(path, 'the model has no layers');
  const name = !Array.isArray(cfg) && typeof cfg?.name === 'string' ? cfg.name : 'imported';
  return {
    name,
    layers: list.map((l, i) => {
      const layer = l as Json;
      if (typeof layer?.class_name !== 'string' || typeof layer.config !== 'object' || layer.config === null) {
        throw importError(path, `layer ${i} has no class_name and config`);
      }
      return { className: CLASS_ALIASES[layer.class_name] ?? layer.class_name, config: snakeKeys(layer.config as Json) };
    }),
  };
}

function activationOf(path: string, where: string, value: unknown): string {
  const name = value === undefined || value === null ? 'linear' : value;
  if (typeof name !== 'string') throw importError(path, `${where}: activation ${JSON.stringify(value)} is not a plain activation name`);
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
        throw importError(path, `${where}: axis ${JSON.stringify(config.axis)}; cnn normalizes the last axis only`);
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

/** Every weight of the manifest by name (a ":0" suffix dropped), read from the files beside model.json. */
async function readWeights(path: string, modelJson: Json): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const manifest = modelJson.weightsManifest;
  if (!Array.isArray(manifest)) throw importError(path, 'has no weightsManifest');
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const group of manifest as Json[]) {
    const parts: Buffer[] = [];
    for (const file of (group.paths as string[]) ?? []) {
      const full = join(dirname(path), file);
      try {
        parts.push(await readFile(full));
      } catch (e) {
        throw new CnnError('ERR_IMPORT', `cannot read ${full} (listed in ${path}): ${describeFsError(e)}`);
      }
    }
    const bytes = Buffer.concat(parts);
    let at = 0;
    for (const spec of (group.weights as Json[]) ?? []) {
      const name = String(spec.name).replace(/:0$/, '');
      const shape = (spec.shape as number[]) ?? [];
      const count = shape.reduce((a, b) => a * b, 1);
      if (spec.dtype !== 'float32' || spec.quantization) {
        throw importError(path, `weight ${name} is ${String(spec.dtype)}${spec.quantization ? ' (quantized)' : ''}; cnn imports float32 weights only`);
      }
      if (at + count * 4 > bytes.length) throw importError(path, `the weight files end before weight ${name} (${bytes.length} bytes)`);
      const data = new Float32Array(count);
      for (let k = 0; k < count; k++) data[k] = bytes.readFloatLE(at + k * 4);
      at += count * 4;
      weights.set(name, { shape, data });
    }
  }
  return weights;
}

function findWeight(weights: Map<string, { shape: number[]; data: Float32Array }>, layer: string, param: string) {
  const exact = weights.get(`${layer}/${param}`);
  if (exact) return exact;
  for (const [name, w] of weights) if (name.endsWith(`/${layer}/${param}`)) return w;
  return undefined;
}

export async function importTfjsModel(modelPath: string, options: ImportOptions = {}): Promise<WeightsContents> {
  const path = modelPath.endsWith('.json') ? modelPath : join(modelPath, 'model.json');
  const modelJson = await readJson(path);
  const { name, layers } = modelLayers(path, modelJson);
  const converted = convertLayers(path, layers);
  if (!converted.inputShape || converted.inputShape.some((d) => typeof d !== 'number')) {
    throw importError(path, 'the first layer gives no batch_input_shape with fixed sizes (e.g. [null, 28, 28, 1])');
  }
  // A model cnn exported carries its whole config; start from it so nothing is lost on the way back.
  const carried = ((modelJson.userDefinedMetadata as Json | undefined)?.cnn as Json | undefined)?.config as Json | undefined;
  // Keep what the TensorFlow.js format cannot say (initializers, regularizers, dropout seeds) from the
  // carried config, for layers still there under the same name and type.
  const carriedLayers = new Map(((carried?.layers as Json[] | undefined) ?? []).map((l) => [l.name, l]));
  const mergedLayers = converted.layers.map((l) => {
    const before = carriedLayers.get(l.name);
    return before && before.type === l.type ? { ...before, ...l } : l;
  });
  const raw: Json = { ...(carried ?? { name }), input_shape: converted.inputShape, layers: mergedLayers };
  if (options.dataset !== undefined) raw.dataset = options.dataset;
  if (options.rescale !== undefined || options.offset !== undefined) {
    const prev = (raw.preprocessing as Json | undefined) ?? {};
    raw.preprocessing = { ...prev, ...(options.rescale !== undefined ? { rescale: options.rescale } : {}), ...(options.offset !== undefined ? { offset: options.offset } : {}) };
  }
  let config: ModelConfig;
  try {
    config = validateConfig(raw, `${path} (as a cnn config)`);
  } catch (e) {
    if (e instanceof CnnError) throw usageError(e.code, e.message);
    throw e;
  }
  const weights = await readWeights(path, modelJson);
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
