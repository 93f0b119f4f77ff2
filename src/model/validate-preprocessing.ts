/**
 * The arguments of the preprocessing and augmentation layers, checked with Keras 3's rules
 * (keras/src/layers/preprocessing/image_preprocessing/*.py, reshaping/*.py) and normalized.
 */
import type { Pair } from './config.js';
import {
  FILL_MODES,
  FLIP_MODES,
  SAMPLE_INTERPOLATIONS,
  type PadPairs,
  type PreprocessingLayerConfig,
  type PreprocessingLayerType,
} from './config-preprocessing.js';
import { describeValue, joinPath, readBool, readChoice, readInt, readNumber, report, type Ctx } from './validate-core.js';
import { INT32_MAX, MAX_SEED } from './validate-limits.js';

const GEOMETRIC = ['fill_mode', 'interpolation', 'seed', 'fill_value', 'data_format'];

export const PREPROCESSING_LAYER_ARGS: Readonly<Record<PreprocessingLayerType, readonly string[]>> = {
  Rescaling: ['scale', 'offset'],
  Resizing: ['height', 'width', 'interpolation', 'crop_to_aspect_ratio', 'pad_to_aspect_ratio', 'fill_mode', 'fill_value', 'antialias', 'data_format'],
  ZeroPadding2D: ['padding', 'data_format'],
  Cropping2D: ['cropping', 'data_format'],
  Reshape: ['target_shape'],
  RandomFlip: ['mode', 'seed', 'data_format'],
  RandomTranslation: ['height_factor', 'width_factor', ...GEOMETRIC],
  RandomRotation: ['factor', ...GEOMETRIC],
  RandomZoom: ['height_factor', 'width_factor', ...GEOMETRIC],
  RandomContrast: ['factor', 'value_range', 'seed', 'data_format'],
  RandomBrightness: ['factor', 'value_range', 'seed', 'data_format'],
};

function only(ctx: Ctx, raw: Record<string, unknown>, path: string, key: string, allowed: unknown, why: string): void {
  const v = raw[key];
  if (v === undefined || v === null || v === allowed) return;
  report(ctx, joinPath(path, key), `${why}; got ${describeValue(v)}`);
}

function readSeed(ctx: Ctx, raw: Record<string, unknown>, path: string): number | null {
  return raw.seed === undefined || raw.seed === null ? null : readInt(ctx, raw, path, 'seed', 0, { min: 0, max: MAX_SEED });
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * A Keras factor: a number f (then [-f, f]; with lowerBound 0, [0, f] as RandomContrast makes it) or
 * a pair [a, b] (sorted). `each` checks both numbers of a pair (RandomTranslation/RandomZoom); the base
 * layers (RandomRotation/Contrast/Brightness) only refuse a pair lying wholly outside the bounds.
 */
function readFactor(
  ctx: Ctx,
  raw: Record<string, unknown>,
  path: string,
  key: string,
  bounds: { lo: number; hi: number; loExclusive?: boolean; each: boolean },
): Pair {
  const at = joinPath(path, key);
  const v = raw[key];
  const range = `in [${bounds.lo}${bounds.loExclusive ? ' (excluded)' : ''}, ${bounds.hi}]`;
  const expected = `a number ${range} or a pair [lower, upper] of them`;
  if (v === undefined || v === null) {
    report(ctx, at, `is required (${expected})`);
    return [0, 0];
  }
  const inBounds = (n: number) => (bounds.loExclusive ? n > bounds.lo : n >= bounds.lo) && n <= bounds.hi;
  if (isNumber(v)) {
    const scalarOk = bounds.each ? inBounds(v) : v >= bounds.lo && v <= bounds.hi;
    if (!scalarOk) {
      report(ctx, at, `must be ${expected}; got ${describeValue(v)}`);
      return [0, 0];
    }
    const f = Math.abs(v);
    return [Math.max(-f, bounds.each ? -f : bounds.lo), f];
  }
  if (Array.isArray(v) && v.length === 2 && isNumber(v[0]) && isNumber(v[1])) {
    const ok = bounds.each ? inBounds(v[0]) && inBounds(v[1]) : !(v[0] > bounds.hi || v[1] < bounds.lo);
    if (!ok) {
      report(ctx, at, `must be ${expected}; got ${describeValue(v)}`);
      return [0, 0];
    }
    return v[0] <= v[1] ? [v[0], v[1]] : [v[1], v[0]];
  }
  report(ctx, at, `must be ${expected}; got ${describeValue(v)}`);
  return [0, 0];
}

function readValueRange(ctx: Ctx, raw: Record<string, unknown>, path: string, sort: boolean): Pair {
  const v = raw.value_range;
  if (v === undefined || v === null) return [0, 255];
  if (Array.isArray(v) && v.length === 2 && isNumber(v[0]) && isNumber(v[1])) {
    const [lo, hi] = sort && v[0] > v[1] ? [v[1], v[0]] : [v[0], v[1]];
    if (lo < hi) return [lo, hi];
  }
  report(ctx, joinPath(path, 'value_range'), `must be a pair [low, high] of numbers with low < high, e.g. [0, 255]; got ${describeValue(v)}`);
  return [0, 255];
}

/** ZeroPadding2D's padding / Cropping2D's cropping: n, [h, w] or [[top, bottom], [left, right]]. */
function readPadPairs(ctx: Ctx, raw: Record<string, unknown>, path: string, key: string, fallback: number): PadPairs {
  const v = raw[key];
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= INT32_MAX;
  if (v === undefined || v === null) return [[fallback, fallback], [fallback, fallback]];
  if (ok(v)) return [[v, v], [v, v]];
  if (Array.isArray(v) && v.length === 2) {
    if (ok(v[0]) && ok(v[1])) return [[v[0], v[0]], [v[1], v[1]]];
    const pair = (p: unknown): p is [number, number] => Array.isArray(p) && p.length === 2 && ok(p[0]) && ok(p[1]);
    if (pair(v[0]) && pair(v[1])) return [[v[0][0], v[0][1]], [v[1][0], v[1][1]]];
  }
  report(ctx, joinPath(path, key), `must be an integer >= 0, a pair [height, width] of them, or [[top, bottom], [left, right]]; got ${describeValue(v)}`);
  return [[0, 0], [0, 0]];
}

function readTargetShape(ctx: Ctx, raw: Record<string, unknown>, path: string): number[] {
  const v = raw.target_shape;
  const at = joinPath(path, 'target_shape');
  const ok = Array.isArray(v) && v.length >= 1 && v.length <= 8 && v.every((n) => n === -1 || (typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 && n <= INT32_MAX));
  if (!ok || (v as number[]).filter((n) => n === -1).length > 1) {
    report(ctx, at, `${v === undefined ? 'is required: ' : 'must be '}a list of 1 to 8 sizes >= 1, at most one of them -1 (inferred), e.g. [7, 112]${v === undefined ? '' : `; got ${describeValue(v)}`}`);
    return [1];
  }
  return [...(v as number[])];
}

function channelsLastOnly(ctx: Ctx, raw: Record<string, unknown>, path: string, type: string): void {
  only(ctx, raw, path, 'data_format', 'channels_last', `cnn's ${type} takes only channels_last images`);
}

/** Reads one preprocessing or augmentation layer (its keys were already checked against the list above). */
export function readPreprocessingLayer(ctx: Ctx, raw: Record<string, unknown>, path: string, type: PreprocessingLayerType, name: string): PreprocessingLayerConfig {
  if (type !== 'Rescaling' && type !== 'Reshape') channelsLastOnly(ctx, raw, path, type);
  const geometric = () => ({
    fill_mode: readChoice(ctx, raw, path, 'fill_mode', FILL_MODES, 'reflect'),
    interpolation: readChoice(ctx, raw, path, 'interpolation', SAMPLE_INTERPOLATIONS, 'bilinear'),
    seed: readSeed(ctx, raw, path),
    fill_value: readNumber(ctx, raw, path, 'fill_value', 0),
  });
  // RandomTranslation/RandomZoom check each number of a pair (RandomZoom refuses -1: a zoom of 0).
  const shift = { lo: -1, hi: 1, each: true };
  switch (type) {
    case 'Rescaling':
      if (Array.isArray(raw.scale)) report(ctx, joinPath(path, 'scale'), `cnn takes one number for scale (not one per channel); got ${describeValue(raw.scale)}`);
      else if (Array.isArray(raw.offset)) report(ctx, joinPath(path, 'offset'), `cnn takes one number for offset (not one per channel); got ${describeValue(raw.offset)}`);
      return { type, name, scale: Array.isArray(raw.scale) ? 1 : readNumber(ctx, raw, path, 'scale', undefined), offset: Array.isArray(raw.offset) ? 0 : readNumber(ctx, raw, path, 'offset', 0) };
    case 'Resizing': {
      only(ctx, raw, path, 'fill_mode', 'constant', 'Resizing fills only with a constant (Keras too)');
      only(ctx, raw, path, 'antialias', false, 'cnn resizes without antialias only');
      const interpolation = readChoice(ctx, raw, path, 'interpolation', SAMPLE_INTERPOLATIONS, 'bilinear');
      const crop = readBool(ctx, raw, path, 'crop_to_aspect_ratio', false);
      const pad = readBool(ctx, raw, path, 'pad_to_aspect_ratio', false);
      if (crop && pad) report(ctx, joinPath(path, 'pad_to_aspect_ratio'), 'Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.');
      return {
        type,
        name,
        height: readInt(ctx, raw, path, 'height', undefined, { min: 1, max: INT32_MAX }),
        width: readInt(ctx, raw, path, 'width', undefined, { min: 1, max: INT32_MAX }),
        interpolation,
        crop_to_aspect_ratio: crop,
        pad_to_aspect_ratio: pad,
        fill_value: readNumber(ctx, raw, path, 'fill_value', 0),
      };
    }
    case 'ZeroPadding2D':
      return { type, name, padding: readPadPairs(ctx, raw, path, 'padding', 1) };
    case 'Cropping2D':
      return { type, name, cropping: readPadPairs(ctx, raw, path, 'cropping', 0) };
    case 'Reshape':
      return { type, name, target_shape: readTargetShape(ctx, raw, path) };
    case 'RandomFlip':
      return { type, name, mode: readChoice(ctx, raw, path, 'mode', FLIP_MODES, 'horizontal_and_vertical'), seed: readSeed(ctx, raw, path) };
    case 'RandomTranslation':
      return { type, name, height_factor: readFactor(ctx, raw, path, 'height_factor', shift), width_factor: readFactor(ctx, raw, path, 'width_factor', shift), ...geometric() };
    case 'RandomRotation':
      return { type, name, factor: readFactor(ctx, raw, path, 'factor', { lo: -1, hi: 1, each: false }), ...geometric() };
    case 'RandomZoom': {
      const zoom = { lo: -1, hi: 1, loExclusive: true, each: true };
      const width = raw.width_factor === undefined || raw.width_factor === null ? null : readFactor(ctx, raw, path, 'width_factor', zoom);
      return { type, name, height_factor: readFactor(ctx, raw, path, 'height_factor', zoom), width_factor: width, ...geometric() };
    }
    case 'RandomContrast':
      return { type, name, factor: readFactor(ctx, raw, path, 'factor', { lo: 0, hi: 1, each: false }), value_range: readValueRange(ctx, raw, path, false), seed: readSeed(ctx, raw, path) };
    case 'RandomBrightness':
      return { type, name, factor: readFactor(ctx, raw, path, 'factor', { lo: -1, hi: 1, each: false }), value_range: readValueRange(ctx, raw, path, true), seed: readSeed(ctx, raw, path) };
  }
}
