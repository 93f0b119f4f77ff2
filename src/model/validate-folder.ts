/**
 * "dataset": {"directory": ...}: a folder of images read as keras.utils.image_dataset_from_directory
 * reads it. Every key is Keras's argument of the same name with Keras's default; the checks are
 * Keras's (check_validation_split_arg and friends), reported at their JSON paths.
 */
import type { FolderDatasetConfig, LossName } from './config.js';
import { checkKeys, describeValue, joinPath, readBool, readChoice, readNumber, readString, report, type Ctx } from './validate-core.js';

export const FOLDER_KEYS = [
  'directory',
  'labels',
  'label_mode',
  'class_names',
  'color_mode',
  'image_size',
  'shuffle',
  'seed',
  'validation_split',
  'subset',
  'interpolation',
  'follow_links',
  'crop_to_aspect_ratio',
  'pad_to_aspect_ratio',
] as const;

/** The largest side accepted: a 16384x16384 RGBA image is already 1 GiB of pixels. */
export const MAX_IMAGE_SIDE = 16384;

/** `loss` picks label_mode's default: Keras's "int" suits sparse_categorical_crossentropy, "categorical" the other. */
export function readFolderDataset(ctx: Ctx, v: Record<string, unknown>, base: string, loss: LossName | undefined): FolderDatasetConfig {
  checkKeys(ctx, v, base, FOLDER_KEYS, 'a folder dataset');
  const directory = readString(ctx, v, base, 'directory', undefined);
  if (v.labels !== undefined && v.labels !== null && v.labels !== 'inferred') {
    report(ctx, joinPath(base, 'labels'), `must be "inferred" (labels from the class subfolders); got ${describeValue(v.labels)}`);
  }
  const lossMode = loss === 'categorical_crossentropy' ? 'categorical' : 'int';
  const labelMode = readChoice(ctx, v, base, 'label_mode', ['int', 'categorical'] as const, lossMode);
  if (loss && labelMode !== lossMode) {
    report(
      ctx,
      joinPath(base, 'label_mode'),
      `"${labelMode}" labels do not suit the loss ${loss}: use label_mode "${lossMode}" (or the loss ${labelMode === 'int' ? 'sparse_categorical_crossentropy' : 'categorical_crossentropy'})`,
    );
  }
  let classNames: string[] | null = null;
  if (v.class_names !== undefined && v.class_names !== null) {
    const names = v.class_names;
    if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string' && n.length > 0)) {
      report(ctx, joinPath(base, 'class_names'), `must be a non-empty array of subfolder names, got ${describeValue(names)}`);
    } else if (new Set(names).size !== names.length) {
      report(ctx, joinPath(base, 'class_names'), `names a class twice`);
    } else if (names.length > 256) {
      report(ctx, joinPath(base, 'class_names'), `has ${names.length} names; cnn takes at most 256 classes`);
    } else {
      classNames = [...(names as string[])];
    }
  }
  const colorMode = readChoice(ctx, v, base, 'color_mode', ['grayscale', 'rgb', 'rgba'] as const, 'rgb');
  const imageSize = readImageSize(ctx, v.image_size, joinPath(base, 'image_size'));
  const shuffle = readBool(ctx, v, base, 'shuffle', true);
  let seed: number | null = null;
  if (v.seed !== undefined && v.seed !== null) {
    if (typeof v.seed !== 'number' || !Number.isSafeInteger(v.seed) || v.seed < 0 || v.seed > 0xffffffff) {
      report(ctx, joinPath(base, 'seed'), `must be an integer from 0 to 4294967295 (numpy's seed range), got ${describeValue(v.seed)}`);
    } else {
      seed = v.seed;
    }
  }
  let validationSplit: number | null = null;
  if (v.validation_split !== undefined && v.validation_split !== null && v.validation_split !== 0) {
    validationSplit = readNumber(ctx, v, base, 'validation_split', 0, { min: 0, max: 1, minExclusive: true, maxExclusive: true }) || null;
  }
  const subset = readChoice(ctx, v, base, 'subset', ['training', 'validation', 'both'] as const, 'both');
  // "both" (the default, which a normalized config carries) means "whatever there is" without a split.
  if (subset !== 'both' && validationSplit === null) {
    report(ctx, joinPath(base, 'subset'), 'is set but validation_split is not; give both (Keras: "If subset is set, validation_split must be set")');
  }
  if (validationSplit !== null && shuffle && seed === null) {
    report(ctx, joinPath(base, 'seed'), 'is required with validation_split and shuffle, so that the training and validation files never overlap (as Keras requires)');
  }
  const interpolation = readChoice(ctx, v, base, 'interpolation', ['bilinear'] as const, 'bilinear', true);
  const followLinks = readBool(ctx, v, base, 'follow_links', false);
  const crop = readBool(ctx, v, base, 'crop_to_aspect_ratio', false);
  const pad = readBool(ctx, v, base, 'pad_to_aspect_ratio', false);
  if (crop && pad) report(ctx, joinPath(base, 'pad_to_aspect_ratio'), 'only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be true');
  return {
    directory,
    label_mode: labelMode,
    class_names: classNames,
    color_mode: colorMode,
    image_size: imageSize,
    shuffle,
    seed,
    validation_split: validationSplit,
    subset,
    interpolation,
    follow_links: followLinks,
    crop_to_aspect_ratio: crop,
    pad_to_aspect_ratio: pad,
  };
}

/** Keras's image_size: an int or (height, width); default (256, 256). */
function readImageSize(ctx: Ctx, v: unknown, path: string): [number, number] {
  if (v === undefined || v === null) return [256, 256];
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 && n <= MAX_IMAGE_SIDE;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  report(ctx, path, `must be [height, width] (or one integer for both), each from 1 to ${MAX_IMAGE_SIDE}; got ${describeValue(v)}`);
  return [256, 256];
}
