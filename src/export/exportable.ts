/**
 * A trained model as the exporters need it: the normalized config, every layer's input and output
 * shape, and its parameters by layer and name. Read straight from the weights file, so exporting
 * needs neither the native core nor a dataset.
 */
import { CnnError } from '../errors.js';
import type { ModelConfig } from '../model/config.js';
import { layerParamTensors, type ParamName } from '../model/params.js';
import { inferShapes, type LayerShape } from '../model/shapes.js';
import { validateConfig } from '../model/validate.js';
import { readWeightsFile, type WeightsContents } from '../model/weights-file.js';

export interface ParamValue {
  shape: number[];
  data: Float32Array;
}

export type LayerParams = Partial<Record<ParamName, ParamValue>>;

export interface ExportableModel {
  config: ModelConfig;
  shapes: LayerShape[];
  /** By layer name; a layer without parameters has an empty object. */
  params: Map<string, LayerParams>;
}

export function exportableFromContents(contents: WeightsContents, source: string): ExportableModel {
  const config = validateConfig(contents.config, `${source} (its model config)`);
  const shapes = inferShapes(config);
  const byName = new Map(contents.tensors.map((t) => [t.name, t]));
  const params = new Map<string, LayerParams>();
  config.layers.forEach((layer, i) => {
    const own: LayerParams = {};
    for (const expected of layerParamTensors(layer, shapes[i].input)) {
      const name = `${layer.name}/${expected.name}`;
      const t = byName.get(name);
      if (!t) throw new CnnError('ERR_WEIGHTS_MISMATCH', `${source}: has no tensor ${name} for layer ${layer.name}`);
      if (t.shape.join(',') !== expected.shape.join(',')) {
        throw new CnnError(
          'ERR_WEIGHTS_MISMATCH',
          `${source}: tensor ${name} has shape (${t.shape.join(', ')}) but layer ${layer.name} needs (${expected.shape.join(', ')})`,
        );
      }
      own[expected.name] = { shape: [...t.shape], data: t.data };
    }
    params.set(layer.name, own);
  });
  return { config, shapes, params };
}

export async function readExportableModel(path: string): Promise<ExportableModel> {
  return exportableFromContents(await readWeightsFile(path), path);
}

/** The parameter a layer must have (exportableFromContents has checked they are all there). */
export function requireParam(model: ExportableModel, layer: string, name: ParamName): ParamValue {
  const p = model.params.get(layer)?.[name];
  if (!p) throw new CnnError('ERR_WEIGHTS_MISMATCH', `layer ${layer} has no ${name}`);
  return p;
}

export function optionalParam(model: ExportableModel, layer: string, name: ParamName): ParamValue | undefined {
  return model.params.get(layer)?.[name];
}
