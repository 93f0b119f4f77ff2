/**
 * A config's "callbacks" (validated by src/model/validate-callbacks.ts) as library callbacks: what
 * `cnn train` runs, and fit's default callbacks for a model from modelFromConfig or loadModel. Relative
 * paths (ModelCheckpoint's filepath, CSVLogger's filename, TensorBoard's log_dir) are taken from the
 * current folder, as Keras takes them and as cnn train's --out and --logdir are.
 */
import type { CallbackConfig } from '../model/config.js';
import type { CallbackHooks } from './callbacks.js';
import { CSVLogger, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN } from './callbacks-builtin.js';
import { TensorBoard } from './callbacks-tensorboard.js';

/** New callback objects (fresh state) for one training run. */
export function callbacksFromConfig(list: readonly CallbackConfig[] | undefined): CallbackHooks[] {
  return (list ?? []).map((c) => {
    const { type, ...args } = c;
    switch (type) {
      case 'EarlyStopping':
        return new EarlyStopping(args);
      case 'ModelCheckpoint': {
        const { filepath, ...rest } = args;
        return new ModelCheckpoint(String(filepath), rest);
      }
      case 'ReduceLROnPlateau':
        return new ReduceLROnPlateau(args);
      case 'CSVLogger':
        return new CSVLogger(String(args.filename), String(args.separator), Boolean(args.append));
      case 'TerminateOnNaN':
        return new TerminateOnNaN(Boolean(args.raise_error));
      case 'TensorBoard':
        return new TensorBoard(args as ConstructorParameters<typeof TensorBoard>[0]);
    }
  });
}
