/**
 * The weightsManifest of a TensorFlow.js model.json: which files beside it hold which float32
 * weights. A model.json comes from outside, so every entry is checked before a byte is read: each
 * path must be a file name that resolves (symbolic links followed) inside the model's folder, to
 * a regular file, and each group's files together must be exactly as long as its weights need.
 * A path that leads elsewhere is refused without looking at what is there, so the error says
 * nothing about files outside the folder.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { CnnError } from '../errors.js';
import { describeValue } from '../model/validate-core.js';
import { describeFsError } from '../util/atomic-write.js';
import { FileRefused, openRegularFile, readExactly, type OpenedFile } from '../util/read-regular-file.js';

type Json = Record<string, unknown>;

export interface ManifestWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** The most weight bytes one model may hold (2 GiB - 1, as for a cnn weights file). */
const MAX_WEIGHT_BYTES = 2 ** 31 - 1;

function manifestError(modelJson: string, message: string): CnnError {
  return new CnnError('ERR_IMPORT', `${modelJson}: ${message}`);
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value as JSON for a message: short, and safe for huge or deeply nested values. */
function show(v: unknown): string {
  return describeValue(v, 120);
}

interface WeightSpec {
  name: string;
  shape: number[];
  count: number;
  where: string;
}

/** One weights[] entry: a name, a float32 dtype and a shape of whole numbers. */
function weightSpec(modelJson: string, spec: unknown, where: string): WeightSpec {
  if (!isObject(spec)) throw manifestError(modelJson, `${where} must be an object with name, shape and dtype, found ${show(spec)}`);
  if (typeof spec.name !== 'string') throw manifestError(modelJson, `${where}.name must be a string, found ${show(spec.name)}`);
  const name = spec.name.replace(/:0$/, '');
  if (spec.dtype !== 'float32' || spec.quantization) {
    throw manifestError(modelJson, `weight ${name} is ${show(spec.dtype)}${spec.quantization ? ' (quantized)' : ''}; cnn imports float32 weights only`);
  }
  const shape = spec.shape ?? [];
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    throw manifestError(modelJson, `${where}.shape (weight ${name}) must be a list of whole numbers >= 0, found ${show(shape)}`);
  }
  let count = 1;
  for (const d of shape as number[]) count *= d;
  if (count * 4 > MAX_WEIGHT_BYTES) throw manifestError(modelJson, `${where}.shape (weight ${name}) ${show(shape)} is larger than cnn imports`);
  return { name, shape: [...(shape as number[])], count, where };
}

/** The real path of a manifest entry, refused unless it lies inside the model's (real) folder. */
async function insidePath(modelJson: string, folder: string, realFolder: string, file: unknown, where: string): Promise<string> {
  if (typeof file !== 'string' || file === '') throw manifestError(modelJson, `${where} must be a file name (a string), found ${show(file)}`);
  const outside = manifestError(modelJson, `${where} (${show(file)}) is not a file in the model's folder ${folder}; weight files must lie beside model.json`);
  if (isAbsolute(file) || file.includes('\0')) throw outside;
  const lexical = resolve(folder, file);
  const within = (root: string, p: string) => {
    const rel = relative(root, p);
    return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
  };
  if (!within(resolve(folder), lexical)) throw outside;
  let real: string;
  try {
    real = await realpath(lexical);
  } catch {
    // Missing, or a link to something missing: either way nothing is read, and nothing more is said.
    throw manifestError(modelJson, `${where} (${show(file)}): no such file in the model's folder ${folder}`);
  }
  if (!within(realFolder, real)) throw outside;
  return real;
}

/** Every weight of the manifest by name (a ":0" suffix dropped), read from the files beside model.json. */
export async function readManifestWeights(modelJson: string, folder: string, manifest: unknown): Promise<Map<string, ManifestWeight>> {
  if (!Array.isArray(manifest)) throw manifestError(modelJson, `has no weightsManifest (a list of {paths, weights}), found ${show(manifest)}`);
  let realFolder: string;
  try {
    realFolder = await realpath(folder);
  } catch (e) {
    throw manifestError(modelJson, `cannot read the model's folder ${folder}: ${describeFsError(e)}`);
  }
  const weights = new Map<string, ManifestWeight>();
  let total = 0;
  for (let g = 0; g < manifest.length; g++) {
    const group = manifest[g];
    const at = `weightsManifest[${g}]`;
    if (!isObject(group)) throw manifestError(modelJson, `${at} must be an object with paths and weights, found ${show(group)}`);
    const paths = group.paths ?? [];
    const list = group.weights ?? [];
    if (!Array.isArray(paths)) throw manifestError(modelJson, `${at}.paths must be a list of file names, found ${show(paths)}`);
    if (!Array.isArray(list)) throw manifestError(modelJson, `${at}.weights must be a list, found ${show(list)}`);
    const specs = list.map((s, i) => weightSpec(modelJson, s, `${at}.weights[${i}]`));
    const needed = specs.reduce((n, s) => n + s.count * 4, 0);
    total += needed;
    if (total > MAX_WEIGHT_BYTES) throw manifestError(modelJson, `its weights need more than the ${MAX_WEIGHT_BYTES} bytes cnn imports`);
    const files: { where: string; real: string }[] = [];
    for (let p = 0; p < paths.length; p++) {
      const where = `${at}.paths[${p}]`;
      files.push({ where, real: await insidePath(modelJson, folder, realFolder, paths[p], where) });
    }
    const bytes = await readGroup(modelJson, files, needed, at);
    let offset = 0;
    for (const spec of specs) {
      const data = new Float32Array(spec.count);
      for (let k = 0; k < spec.count; k++) data[k] = bytes.readFloatLE(offset + k * 4);
      offset += spec.count * 4;
      const bad = data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw manifestError(modelJson, `weight ${spec.name} holds ${data[bad]} at index ${bad}; cnn imports finite weights only`);
      weights.set(spec.name, { name: spec.name, shape: spec.shape, data });
    }
  }
  return weights;
}

/** A group's files, opened as regular files, their sizes summed and compared before anything is read. */
async function readGroup(modelJson: string, files: { where: string; real: string }[], needed: number, at: string): Promise<Buffer> {
  const opened: (OpenedFile & { where: string })[] = [];
  try {
    for (const f of files) {
      try {
        opened.push({ ...(await openRegularFile(f.real)), where: f.where });
      } catch (e) {
        throw manifestError(modelJson, `${f.where} (${f.real}) ${e instanceof FileRefused && /^is /.test(e.message) ? e.message : `cannot be read: ${(e as Error).message}`}`);
      }
    }
    const size = opened.reduce((n, f) => n + f.size, 0);
    if (size !== needed) {
      throw manifestError(modelJson, `the files of ${at}.paths hold ${size} bytes but its weights need exactly ${needed} (float32)`);
    }
    const bytes = Buffer.alloc(needed);
    let offset = 0;
    for (const f of opened) {
      try {
        await readExactly(f.handle, bytes.subarray(offset, offset + f.size), 0);
      } catch (e) {
        throw manifestError(modelJson, `${f.where} cannot be read: ${e instanceof FileRefused ? e.message : describeFsError(e)}`);
      }
      offset += f.size;
    }
    return bytes;
  } finally {
    for (const f of opened) await f.handle.close().catch(() => undefined);
  }
}
