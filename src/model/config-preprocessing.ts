/**
 * Normalized configs of the preprocessing and augmentation layers (Keras 3 class and argument names).
 * Factors are held as Keras normalizes them: a [lower, upper] pair (a scalar f becomes [-f, f], or
 * [0, f] for RandomContrast, as Keras's own _set_factor does), so re-validating one changes nothing.
 */
import type { Pair } from './config.js';

export type FillMode = 'reflect' | 'wrap' | 'constant' | 'nearest';
export const FILL_MODES: readonly FillMode[] = ['reflect', 'wrap', 'constant', 'nearest'];
export type SampleInterpolation = 'bilinear' | 'nearest';
export const SAMPLE_INTERPOLATIONS: readonly SampleInterpolation[] = ['bilinear', 'nearest'];
export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';
export const FLIP_MODES: readonly FlipMode[] = ['horizontal_and_vertical', 'horizontal', 'vertical'];

/** [[top, bottom], [left, right]]. */
export type PadPairs = [Pair, Pair];

export interface RescalingConfig {
  type: 'Rescaling';
  name: string;
  scale: number;
  offset: number;
}

export interface ResizingConfig {
  type: 'Resizing';
  name: string;
  height: number;
  width: number;
  interpolation: SampleInterpolation;
  crop_to_aspect_ratio: boolean;
  pad_to_aspect_ratio: boolean;
  fill_value: number;
}

export interface ZeroPadding2DConfig {
  type: 'ZeroPadding2D';
  name: string;
  padding: PadPairs;
}

export interface Cropping2DConfig {
  type: 'Cropping2D';
  name: string;
  cropping: PadPairs;
}

export interface ReshapeConfig {
  type: 'Reshape';
  name: string;
  target_shape: number[]; // as given: positive sizes and at most one -1
}

export interface RandomFlipConfig {
  type: 'RandomFlip';
  name: string;
  mode: FlipMode;
  seed: number | null;
}

interface GeometricArgs {
  fill_mode: FillMode;
  interpolation: SampleInterpolation;
  seed: number | null;
  fill_value: number;
}

export interface RandomTranslationConfig extends GeometricArgs {
  type: 'RandomTranslation';
  name: string;
  height_factor: Pair;
  width_factor: Pair;
}

export interface RandomRotationConfig extends GeometricArgs {
  type: 'RandomRotation';
  name: string;
  factor: Pair;
}

export interface RandomZoomConfig extends GeometricArgs {
  type: 'RandomZoom';
  name: string;
  height_factor: Pair;
  width_factor: Pair | null; // null: the width zooms as the height does
}

export interface RandomContrastConfig {
  type: 'RandomContrast';
  name: string;
  factor: Pair;
  value_range: Pair;
  seed: number | null;
}

export interface RandomBrightnessConfig {
  type: 'RandomBrightness';
  name: string;
  factor: Pair;
  value_range: Pair;
  seed: number | null;
}

export type PreprocessingLayerConfig =
  | RescalingConfig
  | ResizingConfig
  | ZeroPadding2DConfig
  | Cropping2DConfig
  | ReshapeConfig
  | RandomFlipConfig
  | RandomTranslationConfig
  | RandomRotationConfig
  | RandomZoomConfig
  | RandomContrastConfig
  | RandomBrightnessConfig;
export type PreprocessingLayerType = PreprocessingLayerConfig['type'];

export const PREPROCESSING_LAYER_TYPES: readonly PreprocessingLayerType[] = [
  'Rescaling',
  'Resizing',
  'ZeroPadding2D',
  'Cropping2D',
  'Reshape',
  'RandomFlip',
  'RandomTranslation',
  'RandomRotation',
  'RandomZoom',
  'RandomContrast',
  'RandomBrightness',
];

/** The layers that change their input only while training (the identity in evaluate/predict/exports). */
export const RANDOM_LAYER_TYPES: readonly PreprocessingLayerType[] = PREPROCESSING_LAYER_TYPES.filter((t) => t.startsWith('Random'));

export function isRandomLayer(type: string): boolean {
  return (RANDOM_LAYER_TYPES as readonly string[]).includes(type);
}
