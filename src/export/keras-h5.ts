/**
 * model.weights.h5 as Keras 3 lays it out (keras.src.saving.saving_lib's H5IOStore):
 *
 *   /vars                         attrs {name: <model name>}
 *   /layers/<key>/vars            attrs {name: <layer name>}; datasets "0", "1", ... in the layer's
 *                                 variable order (kernel, bias; BN gamma, beta, moving_mean, moving_variance)
 *   /optimizer/vars               attrs {name: <optimizer name>}; "0" iteration (int64 scalar),
 *                                 "1" learning_rate (float32 scalar), then the slot variables
 *
 * <key> is the snake case of the layer's class, numbered per class (conv2d, conv2d_1, ...).
 * HDF5 is written and read with h5wasm (the HDF5 library compiled to WebAssembly), through a file
 * in a private temporary folder, because the HDF5 library works on files.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type H5wasm from 'h5wasm/node';

// Loaded on first use: compiling HDF5's WebAssembly costs every `cnn` start a second otherwise.
let h5wasm: typeof H5wasm;
type H5Group = InstanceType<typeof H5wasm.Group>;

export interface H5Var {
  shape: number[];
  data: Float32Array;
}

export interface KerasWeightsLayout {
  modelName: string;
  layers: { path: string; name: string; vars: H5Var[] }[];
  optimizer?: { name: string; iterations: number; learningRate: number; vars: H5Var[] };
}

let module: Promise<unknown> | undefined;
async function ready(): Promise<void> {
  if (!module) {
    module = import('h5wasm/node').then((loaded) => {
      h5wasm = loaded.default;
      return h5wasm.ready;
    }).then((m) => {
      // Errors become exceptions instead of HDF5-DIAG dumps on stderr.
      (m as { activate_throwing_error_handler?: () => number }).activate_throwing_error_handler?.();
      return m;
    });
  }
  await module;
}

async function withTempFile<T>(f: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'cnn-h5-'));
  try {
    return await f(join(dir, 'model.weights.h5'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function groupAt(root: H5Group, path: string): H5Group {
  let g = root;
  for (const part of path.split('/')) g = (g.keys().includes(part) ? g.get(part) : g.create_group(part)) as H5Group;
  return g;
}

function writeVars(group: H5Group, vars: H5Var[], from = 0): void {
  vars.forEach((v, i) => group.create_dataset({ name: String(from + i), data: v.data, shape: v.shape, dtype: '<f' }));
}

/** The bytes of a Keras 3 weights file. */
export async function encodeKerasWeights(layout: KerasWeightsLayout): Promise<Uint8Array> {
  await ready();
  return withTempFile(async (path) => {
    const f = new h5wasm.File(path, 'w');
    try {
      groupAt(f, 'layers');
      for (const layer of layout.layers) {
        const vars = groupAt(f, `${layer.path}/vars`);
        vars.create_attribute('name', layer.name);
        writeVars(vars, layer.vars);
      }
      if (layout.optimizer) {
        const vars = groupAt(f, 'optimizer/vars');
        vars.create_attribute('name', layout.optimizer.name);
        vars.create_dataset({ name: '0', data: BigInt64Array.of(BigInt(layout.optimizer.iterations)), shape: [], dtype: '<q' });
        vars.create_dataset({ name: '1', data: Float32Array.of(layout.optimizer.learningRate), shape: [], dtype: '<f' });
        writeVars(vars, layout.optimizer.vars, 2);
      }
      groupAt(f, 'vars').create_attribute('name', layout.modelName);
    } finally {
      f.close();
    }
    return new Uint8Array(await readFile(path));
  });
}

/** What is wrong with a weights file, in words. */
export class H5Problem extends Error {}

export interface ReadVars {
  /** By the group's key under /layers, with the layer name its "vars" group carries. */
  layers: Map<string, { name: string | undefined; vars: H5Var[] }>;
  /** The optimizer's step count and its variables after iteration and learning_rate, when saved. */
  optimizer?: { iterations: number; vars: H5Var[] };
}

function numbered(group: H5Group): string[] {
  return group
    .keys()
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b));
}

function readVar(group: H5Group, key: string, where: string): H5Var {
  const ds = group.get(key) as InstanceType<typeof H5wasm.Dataset> | null;
  if (!ds || !(ds instanceof h5wasm.Dataset)) throw new H5Problem(`${where}/${key} is not a dataset`);
  const shape = ds.shape ?? [];
  const value = ds.value;
  if (!(value instanceof Float32Array || value instanceof Float64Array)) throw new H5Problem(`${where}/${key} is ${ds.dtype}, not float32`);
  return { shape, data: value instanceof Float32Array ? value : Float32Array.from(value) };
}

/** Every layer's variables from a Keras 3 weights file's bytes. */
export async function decodeKerasWeights(bytes: Uint8Array): Promise<ReadVars> {
  await ready();
  return withTempFile(async (path) => {
    await writeFile(path, bytes);
    let f: InstanceType<typeof H5wasm.File>;
    try {
      f = new h5wasm.File(path, 'r');
    } catch (e) {
      throw new H5Problem(`is not a readable HDF5 file (${(e as Error).message.split('\n')[0]})`);
    }
    try {
      const layersGroup = f.get('layers');
      if (!layersGroup || !(layersGroup instanceof h5wasm.Group)) throw new H5Problem('has no /layers group');
      const layers = new Map<string, { name: string | undefined; vars: H5Var[] }>();
      for (const key of layersGroup.keys()) {
        const vars = f.get(`layers/${key}/vars`);
        if (!vars || !(vars instanceof h5wasm.Group)) continue;
        const nameAttr = vars.attrs.name?.value;
        layers.set(key, {
          name: typeof nameAttr === 'string' ? nameAttr : undefined,
          vars: numbered(vars).map((k) => readVar(vars, k, `/layers/${key}/vars`)),
        });
      }
      const opt = f.get('optimizer/vars');
      let optimizer: ReadVars['optimizer'];
      if (opt instanceof h5wasm.Group) {
        const keys = numbered(opt);
        const step = keys[0] === '0' ? (opt.get('0') as InstanceType<typeof H5wasm.Dataset>).value : undefined;
        const iterations = typeof step === 'bigint' ? Number(step) : step instanceof BigInt64Array || step instanceof Int32Array || step instanceof Float32Array ? Number(step[0]) : typeof step === 'number' ? step : undefined;
        if (iterations !== undefined && Number.isSafeInteger(iterations) && iterations >= 0 && keys[1] === '1') {
          optimizer = { iterations, vars: keys.slice(2).map((k) => readVar(opt, k, '/optimizer/vars')) };
        }
      }
      return { layers, optimizer };
    } catch (e) {
      if (e instanceof H5Problem) throw e;
      throw new H5Problem(`cannot be read (${(e as Error).message.split('\n')[0]})`);
    } finally {
      f.close();
    }
  });
}
