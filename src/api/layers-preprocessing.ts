/**
 * Factories of the preprocessing and augmentation layers, named as in TensorFlow.js
 * (tf.layers.randomFlip ...); like layers.ts, they only build the Keras config entry.
 */
import type { FillMode, FlipMode, SampleInterpolation } from '../model/config-preprocessing.js';
import { toSnakeKeys } from './keys.js';

/** One layer as the model config holds it before validation (as layers.ts's LayerSpec). */
export interface LayerSpec {
  readonly type: string;
  readonly [key: string]: unknown;
}

function layerSpec(type: string, args: object, where: string): LayerSpec {
  return { type, ...toSnakeKeys(args, where) };
}

interface Named {
  name?: string;
  inputShape?: readonly number[];
}

/** A number f (the range [-f, f]) or a pair [lower, upper]. */
export type FactorArg = number | readonly [number, number];
type PadArg = number | readonly [number, number] | readonly [readonly [number, number], readonly [number, number]];

export interface RescalingArgs extends Named {
  scale: number;
  offset?: number;
}
export interface ResizingArgs extends Named {
  height: number;
  width: number;
  interpolation?: SampleInterpolation;
  cropToAspectRatio?: boolean;
  padToAspectRatio?: boolean;
  fillValue?: number;
}
export interface ZeroPadding2DArgs extends Named {
  padding?: PadArg;
}
export interface Cropping2DArgs extends Named {
  cropping?: PadArg;
}
export interface ReshapeArgs extends Named {
  targetShape: readonly number[];
}
export interface RandomFlipArgs extends Named {
  mode?: FlipMode;
  seed?: number | null;
}
interface GeometricArgs extends Named {
  fillMode?: FillMode;
  interpolation?: SampleInterpolation;
  seed?: number | null;
  fillValue?: number;
}
export interface RandomTranslationArgs extends GeometricArgs {
  heightFactor: FactorArg;
  widthFactor: FactorArg;
}
export interface RandomRotationArgs extends GeometricArgs {
  factor: FactorArg;
}
export interface RandomZoomArgs extends GeometricArgs {
  heightFactor: FactorArg;
  widthFactor?: FactorArg | null;
}
export interface RandomColorArgs extends Named {
  factor: FactorArg;
  valueRange?: readonly [number, number];
  seed?: number | null;
}

export const rescaling = (args: RescalingArgs): LayerSpec => layerSpec('Rescaling', args, 'layers.rescaling()');
export const resizing = (args: ResizingArgs): LayerSpec => layerSpec('Resizing', args, 'layers.resizing()');
export const zeroPadding2d = (args: ZeroPadding2DArgs = {}): LayerSpec => layerSpec('ZeroPadding2D', args, 'layers.zeroPadding2d()');
export const cropping2d = (args: Cropping2DArgs = {}): LayerSpec => layerSpec('Cropping2D', args, 'layers.cropping2d()');
export const reshape = (args: ReshapeArgs): LayerSpec => layerSpec('Reshape', args, 'layers.reshape()');
export const randomFlip = (args: RandomFlipArgs = {}): LayerSpec => layerSpec('RandomFlip', args, 'layers.randomFlip()');
export const randomTranslation = (args: RandomTranslationArgs): LayerSpec => layerSpec('RandomTranslation', args, 'layers.randomTranslation()');
export const randomRotation = (args: RandomRotationArgs): LayerSpec => layerSpec('RandomRotation', args, 'layers.randomRotation()');
export const randomZoom = (args: RandomZoomArgs): LayerSpec => layerSpec('RandomZoom', args, 'layers.randomZoom()');
export const randomContrast = (args: RandomColorArgs): LayerSpec => layerSpec('RandomContrast', args, 'layers.randomContrast()');
export const randomBrightness = (args: RandomColorArgs): LayerSpec => layerSpec('RandomBrightness', args, 'layers.randomBrightness()');

export const preprocessingLayers = {
  rescaling,
  resizing,
  zeroPadding2d,
  zeroPadding2D: zeroPadding2d,
  cropping2d,
  cropping2D: cropping2d,
  reshape,
  randomFlip,
  randomTranslation,
  randomRotation,
  randomZoom,
  randomContrast,
  randomBrightness,
} as const;
