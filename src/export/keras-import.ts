/**
 * `cnn import --from model.keras`: a Keras 3 Sequential model of the layers cnn has, read from its
 * .keras zip (bounded reads: see keras-zip.ts) into a cnn weights file's contents. A model cnn
 * exported carries its cnn config in metadata.json and comes back with it (dataset, preprocessing,
 * training plan); any other model's leading Rescaling layer becomes cnn's preprocessing.
 * Every problem is one CnnError naming the file and the layer or argument.
 */
import { readFile, stat } from 'node:fs/promises';
import { CnnError } from '../errors.js';
import { ACTIVATIONS, type ModelConfig } from '../model/config.js';
import { layerParamTensors } from '../model/params.js';
import { inferShapes } from '../model/shapes.js';
import { validateConfig } from '../model/validate.js';
import type { WeightsContents, WeightsTensor } from '../model/weights-file.js';
import { describeFsError } from '../util/atomic-write.js';
import { INITIALIZER_NAMES, kerasLayerPaths, OPTIMIZER_CLASSES, optimizerSlotGroups } from './keras-config.js';
import { decodeKerasWeights, H5Problem, type ReadVars } from './keras-h5.js';
import { listZip, readZipMember, ZipProblem } from './keras-zip.js';
import { applyImportOptions, type ImportOptions } from './tfjs-import.js';

import { PREPROCESSING_LAYER_ARGS } from '../model/validate-preprocessing.js';
import type { PreprocessingLayerType } from '../model/config-preprocessing.js';
type Json = Record<string, unknown>;

const MAX_ARCHIVE = 2 ** 31 - 1;
const MAX_JSON = 64 * 1024 * 1024;

// The preprocessing and augmentation layers take Keras's own arguments, which cnn's validation checks.
const PREPROCESSING_CLASSES = Object.keys(PREPROCESSING_LAYER_ARGS).filter((c) => c !== 'Rescaling');
const LAYER_CLASSES = ['Conv2D', 'MaxPooling2D', 'AveragePooling2D', 'Flatten', 'Dense', 'Dropout', 'BatchNormalization', 'GlobalAveragePooling2D', 'Activation', 'LeakyReLU', 'ReLU', 'InputLayer', 'Rescaling', ...PREPROCESSING_CLASSES];
const ALIASES: Record<string, string> = { MaxPool2D: 'MaxPooling2D', AvgPool2D: 'AveragePooling2D', GlobalAvgPool2D: 'GlobalAveragePooling2D', Convolution2D: 'Conv2D' };

function err(path: string, message: string): CnnError {
  return new CnnError('ERR_IMPORT', `${path}: ${message}`);
}

function activation(path: string, where: string, value: unknown): string {
  let name: unknown = value ?? 'linear';
  if (typeof name === 'object' && name !== null && typeof (name as Json).class_name === 'string' && (name as Json).module === 'keras.activations') name = (name as Json).class_name;
  if (typeof name !== 'string') throw err(path, `${where}: activation ${JSON.stringify(value)} is not a built-in activation name`);
  const canonical = name === 'silu' ? 'swish' : name;
  if (!(ACTIVATIONS as readonly string[]).includes(canonical)) throw err(path, `${where}: activation "${name}" is not supported (cnn has ${ACTIVATIONS.join(', ')})`);
  return canonical;
}

function initializer(path: string, where: string, key: string, value: unknown): Json | undefined {
  if (value === undefined || value === null) return undefined;
  const v = value as Json;
  const type = INITIALIZER_NAMES[String(v.class_name)];
  if (!type) throw err(path, `${where}: ${key} ${JSON.stringify(v.class_name ?? value)} is not supported (cnn has ${Object.keys(INITIALIZER_NAMES).join(', ')})`);
  const c = (v.config ?? {}) as Json;
  if (type === 'constant') return { type, value: c.value };
  if (type === 'random_normal') return { type, mean: c.mean ?? 0, stddev: c.stddev ?? 0.05 };
  if (type === 'random_uniform') return { type, minval: c.minval ?? -0.05, maxval: c.maxval ?? 0.05 };
  return { type };
}

function regularizer(path: string, where: string, key: string, value: unknown): Json | null {
  if (value === undefined || value === null) return null;
  const v = value as Json;
  const c = (v.config ?? {}) as Json;
  const num = (x: unknown) => (typeof x === 'number' ? x : 0);
  if (v.class_name === 'L1L2') return { l1: num(c.l1), l2: num(c.l2) };
  if (v.class_name === 'L1') return { l1: num(c.l1), l2: 0 };
  if (v.class_name === 'L2') return { l1: 0, l2: num(c.l2) };
  throw err(path, `${where}: ${key} ${JSON.stringify(v.class_name ?? value)} is not supported (cnn has L1, L2, L1L2)`);
}

/** Arguments cnn has no counterpart for must be at their do-nothing values. */
function refuse(path: string, where: string, c: Json, keys: Record<string, unknown>): void {
  for (const [key, ok] of Object.entries(keys)) {
    if (c[key] !== undefined && JSON.stringify(c[key]) !== JSON.stringify(ok)) throw err(path, `${where}: ${key}=${JSON.stringify(c[key])} is not supported (cnn needs ${JSON.stringify(ok)})`);
  }
}

interface Converted {
  inputShape: number[] | undefined;
  preprocessing?: { rescale: number; offset: number };
  layers: Json[];
  /** The Keras class of each converted layer, for the weights file's group names. */
  classes: string[];
}

function convertLayers(path: string, list: Json[]): Converted {
  const out: Converted = { inputShape: undefined, layers: [], classes: [] };
  list.forEach((entry, i) => {
    if (typeof entry?.class_name !== 'string' || typeof entry.config !== 'object' || entry.config === null) throw err(path, `config.json: layer ${i} has no class_name and config`);
    const cls = ALIASES[entry.class_name] ?? entry.class_name;
    const c = entry.config as Json;
    const name = typeof c.name === 'string' ? c.name : `layer_${i}`;
    const where = `layer ${i} (${name}, ${entry.class_name})`;
    const shape = (c.batch_shape ?? c.batch_input_shape) as unknown;
    if (Array.isArray(shape) && !out.inputShape) out.inputShape = shape.slice(1) as number[];
    if (!LAYER_CLASSES.includes(cls)) throw err(path, `${where} is not supported; cnn imports ${LAYER_CLASSES.filter((s) => s !== 'InputLayer').join(', ')}`);
    if (cls === 'InputLayer') return;
    if (cls === 'Rescaling' && out.layers.length === 0 && !out.preprocessing) {
      // A Rescaling first layer (the Keras tutorials' models) becomes cnn's preprocessing; a later one stays a layer.
      if (typeof c.scale !== 'number' || typeof (c.offset ?? 0) !== 'number') throw err(path, `${where}: only a single-number scale and offset are supported`);
      out.preprocessing = { rescale: c.scale, offset: (c.offset as number | undefined) ?? 0 };
      return;
    }
    const layer: Json = { type: cls, name };
    const copy = (...keys: string[]) => keys.forEach((k) => c[k] !== undefined && c[k] !== null && (layer[k] = c[k]));
    switch (cls) {
      case 'Conv2D':
      case 'Dense':
        if (cls === 'Conv2D') {
          refuse(path, where, c, { groups: 1 });
          copy('filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate');
        } else copy('units');
        refuse(path, where, c, { activity_regularizer: null, kernel_constraint: null, bias_constraint: null, lora_rank: null, quantization_config: null });
        copy('use_bias');
        layer.activation = activation(path, where, c.activation);
        for (const k of ['kernel_initializer', 'bias_initializer']) {
          const init = initializer(path, where, k, c[k]);
          if (init) layer[k] = init;
        }
        for (const k of ['kernel_regularizer', 'bias_regularizer']) layer[k] = regularizer(path, where, k, c[k]);
        break;
      case 'MaxPooling2D':
      case 'AveragePooling2D':
        refuse(path, where, c, { data_format: 'channels_last' });
        copy('pool_size', 'strides', 'padding');
        break;
      case 'Flatten':
      case 'GlobalAveragePooling2D':
        refuse(path, where, c, { data_format: 'channels_last', keepdims: false });
        break;
      case 'Dropout':
        refuse(path, where, c, { noise_shape: null });
        copy('rate', 'seed');
        break;
      case 'BatchNormalization': {
        const axis = Array.isArray(c.axis) && c.axis.length === 1 ? c.axis[0] : c.axis;
        const rank = (out.inputShape?.length ?? 0);
        if (axis !== undefined && axis !== -1 && !(typeof axis === 'number' && rank > 0 && axis >= rank)) throw err(path, `${where}: axis=${JSON.stringify(c.axis)} is not supported (cnn normalizes the last axis)`);
        refuse(path, where, c, { renorm: false, synchronized: false, beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null });
        copy('momentum', 'epsilon', 'center', 'scale');
        break;
      }
      case 'Activation':
        layer.activation = activation(path, where, c.activation);
        break;
      case 'LeakyReLU': {
        const slope = (c.negative_slope ?? c.alpha ?? 0.3) as number;
        if (Math.abs(slope - 0.2) > 1e-6) throw err(path, `${where}: negative_slope=${slope} is not supported (cnn's leaky_relu has slope 0.2)`);
        layer.type = 'Activation';
        layer.activation = 'leaky_relu';
        break;
      }
      case 'ReLU':
        refuse(path, where, c, { max_value: null, negative_slope: 0, threshold: 0 });
        layer.type = 'Activation';
        layer.activation = 'relu';
        break;
      default:
        copy(...PREPROCESSING_LAYER_ARGS[cls as PreprocessingLayerType]);
        break;
    }
    out.layers.push(layer);
    out.classes.push(cls);
  });
  return out;
}

function parseJson(path: string, member: string, bytes: Uint8Array): Json {
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Json;
  } catch (e) {
    throw err(path, `${member} is not valid JSON (${(e as Error).message})`);
  }
}

export async function importKerasModel(path: string, options: ImportOptions = {}): Promise<WeightsContents> {
  let bytes: Buffer;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw err(path, 'is not a file');
    if (st.size > MAX_ARCHIVE) throw err(path, `is ${st.size} bytes, more than the 2 GiB cnn imports`);
    bytes = await readFile(path);
  } catch (e) {
    if (e instanceof CnnError) throw e;
    throw new CnnError('ERR_IMPORT', `cannot read ${path}: ${describeFsError(e)}`);
  }
  let members: Map<string, Uint8Array>;
  try {
    const entries = listZip(bytes);
    members = new Map();
    for (const name of ['metadata.json', 'config.json', 'model.weights.h5']) {
      const entry = entries.find((e) => e.name === name);
      if (!entry) throw new ZipProblem(`has no ${name}: is it a Keras 3 .keras file? (older .h5 and SavedModel files are not supported)`);
      members.set(name, readZipMember(bytes, entry, name.endsWith('.json') ? MAX_JSON : MAX_ARCHIVE));
    }
  } catch (e) {
    if (e instanceof ZipProblem) throw err(path, e.message);
    throw e;
  }
  const metadata = parseJson(path, 'metadata.json', members.get('metadata.json')!);
  const top = parseJson(path, 'config.json', members.get('config.json')!);
  if (top.class_name !== 'Sequential') throw err(path, `config.json describes a ${String(top.class_name)} model; cnn imports Sequential models only`);
  const cfg = (top.config ?? {}) as Json;
  const list = cfg.layers;
  if (!Array.isArray(list) || list.length === 0) throw err(path, 'config.json: the model has no layers');
  const converted = convertLayers(path, list as Json[]);
  if (!converted.inputShape && Array.isArray(cfg.build_input_shape)) converted.inputShape = (cfg.build_input_shape as number[]).slice(1);
  if (!converted.inputShape || converted.inputShape.some((d) => typeof d !== 'number')) {
    throw err(path, 'config.json gives no input shape with fixed sizes (an InputLayer batch_shape such as [null, 28, 28, 1])');
  }
  // What cnn exported rides in metadata.json: keep what Keras's config cannot say, for the same layers.
  const carried = ((metadata.cnn as Json | undefined)?.config as Json | undefined) ?? undefined;
  const carriedLayers = new Map(((carried?.layers as Json[] | undefined) ?? []).map((l) => [l.name, l]));
  const layers = converted.layers.map((l) => {
    const before = carriedLayers.get(l.name);
    return before && before.type === l.type ? { ...before, ...l, ...(before.activation === 'silu' && l.activation === 'swish' ? { activation: 'silu' } : {}) } : l;
  });
  const raw: Json = { ...(carried ?? { name: typeof cfg.name === 'string' ? cfg.name : 'imported' }), input_shape: converted.inputShape, layers };
  if (!carried) {
    const compile = top.compile_config as Json | undefined;
    const opt = compile?.optimizer as Json | undefined;
    if (typeof compile?.loss === 'string' && ['sparse_categorical_crossentropy', 'categorical_crossentropy'].includes(compile.loss)) raw.loss = compile.loss;
    const optName = { SGD: 'sgd', RMSprop: 'rmsprop', Adam: 'adam', AdamW: 'adamw' }[String(opt?.class_name)];
    if (optName) {
      const oc = (opt!.config ?? {}) as Json;
      const keys = ['learning_rate', 'momentum', 'nesterov', 'rho', 'epsilon', 'centered', 'beta_1', 'beta_2', 'amsgrad', ...(optName === 'adamw' ? ['weight_decay'] : [])];
      raw.optimizer = { type: optName, ...Object.fromEntries(keys.filter((k) => typeof oc[k] === 'number' || typeof oc[k] === 'boolean').map((k) => [k, oc[k]])) };
      if (optName === 'sgd') for (const k of ['rho', 'epsilon', 'centered', 'beta_1', 'beta_2', 'amsgrad']) delete (raw.optimizer as Json)[k];
      if (optName === 'rmsprop') for (const k of ['nesterov', 'beta_1', 'beta_2', 'amsgrad']) delete (raw.optimizer as Json)[k];
      if (optName.startsWith('adam')) for (const k of ['momentum', 'nesterov', 'rho', 'centered']) delete (raw.optimizer as Json)[k];
    }
    if (converted.preprocessing) raw.preprocessing = converted.preprocessing;
  }
  applyImportOptions(raw, options);
  let config: ModelConfig;
  try {
    config = validateConfig(raw, `${path} (as a cnn config)`);
  } catch (e) {
    // The file is at fault, not the command line: exit 1 like any other damaged import.
    if (e instanceof CnnError) throw new CnnError('ERR_IMPORT', e.message);
    throw e;
  }
  const { tensors, optimizer } = await readTensors(path, members.get('model.weights.h5')!, config, converted.classes);
  // The optimizer's state comes along when it is the one the config trains with, so `cnn train --resume`
  // continues where Keras stopped; anything that does not line up is left out (training starts it afresh).
  const compiled = String(((top.compile_config as Json | undefined)?.optimizer as Json | undefined)?.class_name);
  const state = compiled === OPTIMIZER_CLASSES[config.optimizer.type] ? optimizerState(config, tensors, optimizer) : undefined;
  return state ? { config, tensors, optimizer: state } : { config, tensors };
}

function optimizerState(config: ModelConfig, tensors: WeightsTensor[], saved: ReadVars['optimizer']): WeightsContents['optimizer'] {
  if (!saved) return undefined;
  const groups = optimizerSlotGroups(config.optimizer);
  const slots = groups.reduce((n, g) => n + g.length, 0);
  const trainable = tensors.filter((t) => t.trainable);
  if (saved.vars.length !== slots * trainable.length) return undefined;
  const state: WeightsTensor[] = [];
  let k = 0;
  for (const group of groups) {
    for (const t of trainable) {
      for (const slot of group) {
        const v = saved.vars[k++];
        if (v.shape.join(',') !== t.shape.join(',')) return undefined;
        state.push({ name: `${t.name}/slot${slot}`, layer: t.layer, shape: [...t.shape], data: v.data });
      }
    }
  }
  return { type: config.optimizer.type, slots, iterations: saved.iterations, state };
}

async function readTensors(path: string, h5: Uint8Array, config: ModelConfig, classes: string[]): Promise<{ tensors: WeightsTensor[]; optimizer: ReadVars['optimizer'] }> {
  let vars: ReadVars;
  try {
    vars = await decodeKerasWeights(h5);
  } catch (e) {
    if (e instanceof H5Problem) throw err(path, `model.weights.h5 ${e.message}`);
    throw e;
  }
  // Each layer's group: the one whose "vars" carries its name, else the class-numbered key Keras uses.
  const byName = new Map([...vars.layers.values()].filter((v) => v.name !== undefined).map((v) => [v.name!, v]));
  // Keras numbers groups over every layer it saved, the Rescaling one included.
  const keys = kerasLayerPaths(classes);
  const shapes = inferShapes(config);
  const tensors: WeightsTensor[] = [];
  config.layers.forEach((layer, i) => {
    const expected = layerParamTensors(layer, shapes[i].input);
    const group = byName.get(layer.name) ?? vars.layers.get(keys[i].slice('layers/'.length));
    const have = group?.vars ?? [];
    if (have.length !== expected.length) {
      throw err(path, `model.weights.h5 holds ${have.length} variables for layer ${layer.name} (${layer.type}) but it needs ${expected.length} (${expected.map((p) => p.name).join(', ') || 'none'})`);
    }
    expected.forEach((p, k) => {
      const v = have[k];
      if (v.shape.join(',') !== p.shape.join(',')) {
        throw err(path, `model.weights.h5: layer ${layer.name}'s ${p.name} has shape (${v.shape.join(', ')}) but the layer needs (${p.shape.join(', ')})`);
      }
      tensors.push({ name: `${layer.name}/${p.name}`, layer: layer.name, shape: [...p.shape], data: v.data, trainable: p.trainable });
    });
  });
  return { tensors, optimizer: vars.optimizer };
}
