/**
 * The fuzz targets: every parser of data from outside, each with valid seeds, a mutator that knows
 * its format (so mutations get past checksums and JSON syntax to the checks behind them) and a run
 * that feeds a case through the real code path, from a file on disk as the CLI reads it.
 * A case is a set of named files; a run must end normally or throw CnnError.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { encodeIdx, parseIdx, readIdxFile } from '../../../src/data/idx.js';
import { loadDataset } from '../../../src/data/index.js';
import { exportableFromContents } from '../../../src/export/exportable.js';
import { modelToOnnx } from '../../../src/export/onnx.js';
import { modelToTfjs } from '../../../src/export/tfjs.js';
import { importTfjsModel } from '../../../src/export/tfjs-import.js';
import { layerParamTensors } from '../../../src/model/params.js';
import { inferShapes } from '../../../src/model/shapes.js';
import { formatSummary, summaryJson } from '../../../src/model/summary.js';
import { loadConfigFile, validateConfig } from '../../../src/model/validate.js';
import { decodeWeightsFile, encodeWeightsFile, readWeightsFile, readWeightsHeader, type WeightsContents } from '../../../src/model/weights-file.js';
import { packageRoot } from '../../../src/version.js';
import { crc32 } from '../../../src/util/crc32.js';
import { joinWeights, splitWeights } from '../weights-bytes.js';
import { smallWeightsContents, tfjsModelJson, tfjsWeightBytes, tinyConfig } from '../tiny-models.js';
import { mutateBytes, mutateJsonBytes, splice } from './mutate.js';
import type { Rng } from './random.js';

export type FuzzCase = Record<string, Uint8Array>;

export interface FuzzTarget {
  name: string;
  seeds(): FuzzCase[];
  /** Inputs to mutate that are refused as they are (a gzip bomb): parents, but not seeds that must load. */
  refusedParents?(): FuzzCase[];
  mutate(rng: Rng, seed: FuzzCase, pool: FuzzCase[]): FuzzCase;
  /** Runs one case with its files written into `dir` (an empty scratch folder). */
  run(input: FuzzCase, dir: string): Promise<void>;
}

function writeCase(input: FuzzCase, dir: string): void {
  for (const [name, bytes] of Object.entries(input)) writeFileSync(join(dir, name), bytes);
}

/** The same case with one file replaced. */
function withFile(input: FuzzCase, name: string, bytes: Uint8Array): FuzzCase {
  return { ...input, [name]: bytes };
}

function json(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value, null, 1));
}

/** A valid weights file of the tiny config, with deterministic weights. */
export function tinyWeightsContents(): WeightsContents {
  const config = validateConfig(tinyConfig('adam'), 'tiny');
  const shapes = inferShapes(config);
  const tensors = config.layers.flatMap((layer, i) =>
    layerParamTensors(layer, shapes[i].input).map((p) => ({
      name: `${layer.name}/${p.name}`,
      layer: layer.name,
      shape: [...p.shape],
      data: Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, (_, k) => Math.sin(k + i) / 2),
      trainable: p.trainable,
    })),
  );
  return { config, tensors, training: { epoch: 1, step: 0, lossSum: 0, correct: 0, seen: 0, seconds: 0, history: [], limit: null } };
}

// ---- config ----------------------------------------------------------------------------------

const configTarget: FuzzTarget = {
  name: 'config',
  seeds: () => [
    { 'config.json': readFileSync(join(packageRoot, 'data', 'mnist.json')) },
    { 'config.json': readFileSync(join(packageRoot, 'data', 'fashion-mnist.json')) },
    { 'config.json': json(tinyConfig({ type: 'sgd', learning_rate: 0.1, momentum: 0.9 })) },
    {
      'config.json': json({
        input_shape: [28, 28, 1],
        layers: [
          { type: 'Conv2D', filters: 4, kernel_size: [3, 3], strides: 2, padding: 'same', activation: 'leaky_relu' },
          { type: 'BatchNormalization' },
          { type: 'MaxPooling2D', pool_size: 2 },
          { type: 'Dropout', rate: 0.25, seed: 3 },
          { type: 'GlobalAveragePooling2D' },
          { type: 'Dense', units: 10, activation: 'softmax', kernel_regularizer: { l2: 0.01 } },
        ],
        dataset: 'fashion-mnist',
        optimizer: { type: 'rmsprop', centered: true },
      }),
    },
  ],
  mutate: (rng, seed, pool) =>
    rng.chance(0.8)
      ? withFile(seed, 'config.json', mutateJsonBytes(rng, seed['config.json']))
      : withFile(seed, 'config.json', rng.chance(0.5) ? mutateBytes(rng, seed['config.json']) : splice(rng, seed['config.json'], rng.pick(pool)['config.json'])),
  async run(input, dir) {
    writeCase(input, dir);
    const config = loadConfigFile(join(dir, 'config.json'));
    // What `cnn summary` and model building do next with a valid config.
    const shapes = inferShapes(config);
    config.layers.forEach((layer, i) => layerParamTensors(layer, shapes[i].input));
    summaryJson(config);
    formatSummary(config, { columns: 100 } as Parameters<typeof formatSummary>[1]);
  },
};

// ---- IDX (raw and gzip) ----------------------------------------------------------------------

function idxSeeds(): { images: Buffer; labels: Buffer }[] {
  return [
    { images: encodeIdx([6, 4, 4], Array.from({ length: 96 }, (_, i) => (i * 37) % 256)), labels: encodeIdx([6], [0, 1, 2, 3, 4, 5]) },
    { images: encodeIdx([3, 2, 2, 3], Array.from({ length: 36 }, (_, i) => i)), labels: encodeIdx([3], [9, 0, 9]) },
  ];
}

async function runIdx(input: FuzzCase, dir: string): Promise<void> {
  writeCase(input, dir);
  for (const name of Object.keys(input)) {
    parseIdx(input[name], name);
    await readIdxFile(join(dir, name));
  }
  const [images, labels] = Object.keys(input).sort();
  await loadDataset({ classes: 10, train: { images, labels }, test: { images, labels }, baseDir: dir });
}

function mutateIdxCase(rng: Rng, seed: FuzzCase, pool: FuzzCase[], gzip: boolean): FuzzCase {
  const names = Object.keys(seed);
  const name = rng.pick(names);
  const other = rng.pick(pool)[name] ?? seed[name];
  if (!gzip) return withFile(seed, name, rng.chance(0.85) ? mutateBytes(rng, seed[name]) : splice(rng, seed[name], other));
  // gzip: damage the uncompressed IDX and compress it, or damage the compressed stream itself
  const raw = parseRawOrNull(seed[name]);
  if (raw && rng.chance(0.6)) return withFile(seed, name, gzipSync(mutateBytes(rng, raw)));
  return withFile(seed, name, mutateBytes(rng, seed[name]));
}

/** The uncompressed seed (seeds are small and valid; a bomb seed is left compressed). */
function parseRawOrNull(gz: Uint8Array): Buffer | null {
  try {
    return gunzipSync(gz, { maxOutputLength: 1 << 16 });
  } catch {
    return null;
  }
}

const idxRawTarget: FuzzTarget = {
  name: 'idx-raw',
  seeds: () => idxSeeds().map((s) => ({ 'images.idx': s.images, 'labels.idx': s.labels })),
  mutate: (rng, seed, pool) => mutateIdxCase(rng, seed, pool, false),
  run: runIdx,
};

/** A small gzip bomb: a header claiming 2x2x2 values, then 1 MB of zeros (about 1 kB compressed). */
function smallBomb(): Buffer {
  const header = encodeIdx([2, 2, 2], new Uint8Array(8)).subarray(0, 16);
  return gzipSync(Buffer.concat([header, Buffer.alloc(1 << 20)]), { level: 9 });
}

const idxGzipTarget: FuzzTarget = {
  name: 'idx-gzip',
  seeds: () => [
    ...idxSeeds().map((s) => ({ 'images.idx.gz': gzipSync(s.images), 'labels.idx.gz': gzipSync(s.labels) })),
  ],
  refusedParents: () => [{ 'images.idx.gz': smallBomb(), 'labels.idx.gz': gzipSync(encodeIdx([2], [0, 1])) }],
  mutate: (rng, seed, pool) => mutateIdxCase(rng, seed, pool, true),
  run: runIdx,
};

// ---- weights file ----------------------------------------------------------------------------

/** Recomputes both CRCs of a (possibly damaged) weights file where its layout allows. */
function fixCrcs(bytes: Uint8Array): Uint8Array {
  const b = Buffer.from(bytes);
  if (b.length < 28 || b.toString('latin1', 0, 4) !== 'CNNW') return b;
  const h = b.readUInt32LE(8);
  if (24 + h <= b.length) b.writeUInt32LE(crc32(b.subarray(24, 24 + h)), 12);
  b.writeUInt32LE(crc32(b.subarray(0, b.length - 4)), b.length - 4);
  return b;
}

function mutateWeights(rng: Rng, seed: Uint8Array, pool: FuzzCase[]): Uint8Array {
  const r = rng.next();
  if (r < 0.5) {
    const { header, data } = splitWeights(seed);
    const text = Buffer.from(mutateJsonBytes(rng, json(header))).toString('utf8');
    return joinWeights(text, data);
  }
  if (r < 0.65) {
    const { header, data } = splitWeights(seed);
    return joinWeights(header, mutateBytes(rng, data).subarray(0, data.length));
  }
  const other = rng.pick(pool)['model.bin'];
  const mutated = rng.chance(0.85) ? mutateBytes(rng, seed) : splice(rng, seed, other);
  return rng.chance(0.7) ? fixCrcs(mutated) : mutated;
}

const weightsTarget: FuzzTarget = {
  name: 'weights',
  seeds: () => [{ 'model.bin': encodeWeightsFile(smallWeightsContents()) }, { 'model.bin': encodeWeightsFile(tinyWeightsContents()) }],
  mutate: (rng, seed, pool) => withFile(seed, 'model.bin', mutateWeights(rng, seed['model.bin'], pool)),
  async run(input, dir) {
    writeCase(input, dir);
    const path = join(dir, 'model.bin');
    await readWeightsHeader(path);
    const contents = await readWeightsFile(path);
    decodeWeightsFile(input['model.bin'], path);
    // What `cnn export` does with a weights file that loads.
    const model = exportableFromContents(contents, path);
    modelToTfjs(model);
    modelToOnnx(model);
  },
};

// ---- TensorFlow.js model.json + weights ----------------------------------------------------------

function tfjsSeeds(): FuzzCase[] {
  const exported = modelToTfjs(exportableFromContents(tinyWeightsContents(), 'tiny'));
  const files = exported.modelJson.weightsManifest[0].paths;
  return [
    { 'model.json': json(tfjsModelJson()), 'weights.bin': tfjsWeightBytes() },
    { 'model.json': json(exported.modelJson), [files[0]]: Buffer.from(exported.weightData as Uint8Array) },
  ];
}

const tfjsTarget: FuzzTarget = {
  name: 'tfjs',
  seeds: tfjsSeeds,
  mutate(rng, seed, pool) {
    const r = rng.next();
    if (r < 0.75) return withFile(seed, 'model.json', mutateJsonBytes(rng, seed['model.json']));
    if (r < 0.85) return withFile(seed, 'model.json', splice(rng, seed['model.json'], rng.pick(pool)['model.json']));
    const weightsName = Object.keys(seed).find((n) => n !== 'model.json')!;
    return withFile(seed, weightsName, mutateBytes(rng, seed[weightsName]));
  },
  async run(input, dir) {
    writeCase(input, dir);
    const contents = await importTfjsModel(dir);
    encodeWeightsFile(contents); // an imported model must be writable as a weights file
  },
};

export const TARGETS: readonly FuzzTarget[] = [configTarget, idxRawTarget, idxGzipTarget, weightsTarget, tfjsTarget];

export function targetByName(name: string): FuzzTarget {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`no fuzz target ${name} (there are ${TARGETS.map((x) => x.name).join(', ')})`);
  return t;
}
