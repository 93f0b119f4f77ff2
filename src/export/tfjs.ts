/**
 * Writes a cnn model as a TensorFlow.js layers model: DIR/model.json (topology and weights manifest)
 * and DIR/weights.bin (every weight as little-endian float32, in manifest order). The model takes
 * the same preprocessed NHWC float input as cnn; the preprocessing and the full cnn config travel in
 * model.json's userDefinedMetadata so `cnn import` can restore them.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { version } from '../version.js';
import type { ExportableModel } from './exportable.js';
import { layerToTfjs, type TfjsLayerJson } from './tfjs-layers.js';

export const TFJS_WEIGHTS_FILE = 'weights.bin';
export const TFJS_MODEL_FILE = 'model.json';

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

export interface TfjsModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: string | null;
  modelTopology: {
    class_name: 'Sequential';
    config: { name: string; layers: TfjsLayerJson[] };
    keras_version: string;
    backend: string;
  };
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
  userDefinedMetadata?: Record<string, unknown>;
}

export interface TfjsExport {
  modelJson: TfjsModelJson;
  weightSpecs: TfjsWeightSpec[];
  weightData: Uint8Array;
}

export function modelToTfjs(model: ExportableModel): TfjsExport {
  const { config } = model;
  const layers = config.layers.flatMap((layer, i) => layerToTfjs(layer, model.shapes[i].output));
  if (layers.length) layers[0].config.batch_input_shape = [null, ...config.input_shape];
  const weightSpecs: TfjsWeightSpec[] = [];
  const chunks: Float32Array[] = [];
  for (const layer of config.layers) {
    // Keras's (and TensorFlow.js's) weight order: kernel, bias / gamma, beta, moving_mean, moving_variance.
    for (const [name, value] of Object.entries(model.params.get(layer.name) ?? {})) {
      if (!value) continue;
      weightSpecs.push({ name: `${layer.name}/${name}`, shape: [...value.shape], dtype: 'float32' });
      chunks.push(value.data);
    }
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const weightData = new Uint8Array(total * 4);
  const view = new DataView(weightData.buffer);
  let at = 0;
  for (const c of chunks) for (const v of c) view.setFloat32((at++) * 4, v, true);
  const modelJson: TfjsModelJson = {
    format: 'layers-model',
    generatedBy: `cnn ${version}`,
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: { name: config.name, layers },
      keras_version: `cnn ${version}`,
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights: weightSpecs }],
    userDefinedMetadata: {
      cnn: { preprocessing: config.preprocessing, input_layout: 'NHWC', config },
    },
  };
  return { modelJson, weightSpecs, weightData };
}

export async function writeTfjsModel(model: ExportableModel, dir: string): Promise<{ modelPath: string; weightsPath: string; bytes: number }> {
  const out = modelToTfjs(model);
  await mkdir(dir, { recursive: true });
  const modelPath = join(dir, TFJS_MODEL_FILE);
  const weightsPath = join(dir, TFJS_WEIGHTS_FILE);
  await writeFileAtomic(weightsPath, out.weightData);
  await writeFileAtomic(modelPath, Buffer.from(`${JSON.stringify(out.modelJson, null, 2)}\n`));
  return { modelPath, weightsPath, bytes: out.weightData.length };
}
