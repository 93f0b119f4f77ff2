/**
 * The cnn library: Keras-style models on the native core, for Node.js.
 *
 *   import { sequential, layers, datasets, modelFromConfig, loadModel, callbacks } from 'cnn';
 *
 * Names are camelCase as in TensorFlow.js; option objects also take Keras's snake_case keys.
 * Nothing needs disposing: native memory belongs to the model object and is freed with it.
 */
export { sequential, modelFromConfig, loadModel, type SequentialArgs } from './api/create.js';
export {
  Sequential,
  Layer,
  type Weight,
  type CompileArgs,
  type EvaluateArgs,
  type EvaluateResult,
  type Prediction,
  type OptimizerState,
} from './api/model.js';
export type { FitArgs } from './api/fit.js';
export {
  layers,
  type LayerSpec,
  type Conv2DArgs,
  type Pooling2DArgs,
  type DenseArgs,
  type DropoutArgs,
  type BatchNormalizationArgs,
  type ActivationArgs,
  type InitializerArg,
  type RegularizerArg,
  type IntOrPair,
} from './api/layers.js';
export { optimizers, type OptimizerArg, type OptimizerArgs, type OptimizerSpec, type LossName } from './api/optimizers.js';
export { Callback, History, type CallbackHooks, type Logs, type TrainingParams } from './api/callbacks.js';
export {
  EarlyStopping,
  ModelCheckpoint,
  ReduceLROnPlateau,
  LearningRateScheduler,
  CSVLogger,
  TerminateOnNaN,
  type EarlyStoppingArgs,
  type ModelCheckpointArgs,
  type ReduceLROnPlateauArgs,
} from './api/callbacks-builtin.js';
export { TensorBoard, type TensorBoardArgs } from './api/callbacks-tensorboard.js';
export type { Mode } from './api/monitor.js';
export { datasets, type Dataset, type ImageSet, type DatasetLoadOptions, type DownloadProgress } from './api/datasets.js';
export { imageDatasetFromDirectory, type ImageFolderOptions, type FolderDataset } from './api/image-folder.js';
export { exportDatasetImages, type ExportImagesOptions } from './data/export-images.js';
export type { ImageBatch, ImageInput, LabelInput, LabeledImages, SplitDataset, TrainingData } from './api/inputs.js';
export { argMax } from './api/util.js';
export { CnnError, isCnnError } from './errors.js';
export type { ModelConfig, LayerConfig, ActivationName, Padding, DataFormat, InitializerName, BuiltinDatasetName } from './model/config.js';
export { readWeightsFile, writeWeightsFile, readWeightsHeader, type WeightsContents, type WeightsTensor, type WeightsHeaderInfo } from './model/weights-file.js';
export { benchPeak, type PeakResult, type PeakOptions } from './bench/peak.js';
export { benchTrain, type TrainBenchResult, type TrainBenchOptions } from './bench/train.js';
export { modelFlops, type ModelFlops, type LayerFlops } from './model/flops.js';
