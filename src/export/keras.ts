/**
 * `cnn export --format keras`: a trained model as a Keras 3 .keras file (a zip of metadata.json,
 * config.json and model.weights.h5, members in the order Keras writes them, stored uncompressed as
 * Keras does). The optimizer's variables go in too, so `model.fit` in Keras continues from them.
 */
import { CnnError } from '../errors.js';
import { readWeightsFile, type WeightsContents } from '../model/weights-file.js';
import { layerParamTensors } from '../model/params.js';
import { exportableFromContents, type ExportableModel } from './exportable.js';
import { KERAS_VERSION, kerasLayerPaths, kerasModelConfig, kerasSnakeCase, OPTIMIZER_CLASSES, optimizerSlotGroups } from './keras-config.js';
import { encodeKerasWeights, type H5Var, type KerasWeightsLayout } from './keras-h5.js';
import { writeZip } from './keras-zip.js';

/** "2026-12-01@20:41:37", Keras's date_saved (local time, as Python's datetime.now()). */
function kerasDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}@${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function optimizerVars(model: ExportableModel, optimizer: NonNullable<WeightsContents['optimizer']>, source: string): H5Var[] {
  const byName = new Map(optimizer.state.map((t) => [t.name, t]));
  const trainable: string[] = [];
  model.config.layers.forEach((layer, i) => {
    for (const p of layerParamTensors(layer, model.shapes[i].input)) if (p.trainable) trainable.push(`${layer.name}/${p.name}`);
  });
  const vars: H5Var[] = [];
  for (const group of optimizerSlotGroups(model.config.optimizer)) {
    for (const param of trainable) {
      for (const slot of group) {
        const t = byName.get(`${param}/slot${slot}`);
        if (!t) throw new CnnError('ERR_WEIGHTS_MISMATCH', `${source}: its optimizer state has no ${param}/slot${slot}`);
        vars.push({ shape: [...t.shape], data: t.data });
      }
    }
  }
  return vars;
}

export async function kerasArchive(contents: WeightsContents, source: string, now = new Date()): Promise<Buffer> {
  const model = exportableFromContents(contents, source);
  const { config, shapes } = model;
  const paths = kerasLayerPaths(config.layers.map((l) => l.type));
  const layout: KerasWeightsLayout = {
    modelName: config.name,
    layers: config.layers.map((layer, i) => {
      const own = model.params.get(layer.name) ?? {};
      return {
        path: paths[i],
        name: layer.name,
        vars: layerParamTensors(layer, shapes[i].input).map((p) => ({ shape: own[p.name]!.shape, data: own[p.name]!.data })),
      };
    }),
  };
  const opt = contents.optimizer;
  // State saved for another optimizer (never written by cnn train) would load wrongly: leave it out.
  if (opt && opt.type === config.optimizer.type) {
    layout.optimizer = {
      name: kerasSnakeCase(OPTIMIZER_CLASSES[config.optimizer.type]),
      iterations: opt.iterations,
      learningRate: config.optimizer.learning_rate,
      vars: optimizerVars(model, opt, source),
    };
  }
  const weights = await encodeKerasWeights(layout);
  const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  // cnn's own config rides along in metadata.json (Keras reads only its keras_version), so an import
  // gets back what Keras's config cannot say: the dataset, the preprocessing, the training plan.
  const metadata = { keras_version: KERAS_VERSION, date_saved: kerasDate(now), cnn: { config } };
  return writeZip([
    { name: 'metadata.json', data: json(metadata) },
    { name: 'config.json', data: json(kerasModelConfig(config, shapes.map((s) => s.input))) },
    { name: 'model.weights.h5', data: weights },
  ]);
}

export async function kerasArchiveFromWeightsFile(path: string): Promise<Buffer> {
  return kerasArchive(await readWeightsFile(path), path);
}
