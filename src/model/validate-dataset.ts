/** The "dataset" of a config: a built-in name, or four IDX files with the number of classes. */
import { BUILTIN_DATASETS, LOSSES, type BuiltinDatasetName, type DatasetConfig, type LossName } from './config.js';
import { readFolderDataset } from './validate-folder.js';
import { checkChoice, checkKeys, describeValue, isPlainObject, joinPath, readInt, readString, report, type Ctx } from './validate-core.js';

const FILE_KEYS = ['train_images', 'train_labels', 'test_images', 'test_labels'] as const;
const BUILTIN_NAMES = Object.keys(BUILTIN_DATASETS) as BuiltinDatasetName[];

/** `loss` is the config's raw loss (a folder dataset's label_mode must suit it). */
export function readDataset(ctx: Ctx, v: unknown, loss?: unknown): DatasetConfig | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') {
    // keras.datasets spells them fashion_mnist and cifar10; the CLI spells them fashion-mnist and
    // cifar10, and CIFAR-10 is how its authors write it.
    const name = v.toLowerCase().replace(/_/g, '-');
    return checkChoice(ctx, name === 'cifar-10' ? 'cifar10' : name, 'dataset', BUILTIN_NAMES, 'mnist');
  }
  if (!isPlainObject(v)) {
    report(ctx, 'dataset', `must be "mnist", "fashion-mnist", "cifar10", an object with ${FILE_KEYS.join(', ')} and classes, or {"directory": ...}; got ${describeValue(v)}`);
    return null;
  }
  if ('directory' in v) {
    const lossName = loss === undefined || loss === null ? 'sparse_categorical_crossentropy' : (LOSSES as readonly unknown[]).includes(loss) ? (loss as LossName) : undefined;
    return readFolderDataset(ctx, v, 'dataset', lossName);
  }
  checkKeys(ctx, v, 'dataset', [...FILE_KEYS, 'classes', 'class_names'], 'dataset');
  const paths = FILE_KEYS.map((k) => readString(ctx, v, 'dataset', k, undefined));
  const classes = readInt(ctx, v, 'dataset', 'classes', undefined, { min: 2, max: 256 });
  let classNames: string[] | null = null;
  if (v.class_names !== undefined && v.class_names !== null) {
    const names = v.class_names;
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
      report(ctx, joinPath('dataset', 'class_names'), `must be an array of strings, got ${describeValue(names)}`);
    } else if (names.length !== classes) {
      report(ctx, joinPath('dataset', 'class_names'), `has ${names.length} names but classes is ${classes}`);
    } else {
      classNames = [...names];
    }
  }
  return {
    train_images: paths[0],
    train_labels: paths[1],
    test_images: paths[2],
    test_labels: paths[3],
    classes,
    class_names: classNames,
  };
}
