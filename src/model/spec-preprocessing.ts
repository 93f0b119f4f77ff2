/** The `preprocessing` part of a NativeLayerSpec (cnn::PreprocessingSpec, native/core/layers/preprocessing_spec.h). */
import type { LayerConfig, Pair } from './config.js';

export interface NativePreprocessingSpec {
  scale: number;
  offset: number;
  height: number;
  width: number;
  interpolation: string;
  crop_to_aspect_ratio: boolean;
  pad_to_aspect_ratio: boolean;
  fill_mode: string;
  fill_value: number;
  mode: string;
  height_factor: Pair;
  width_factor: Pair;
  factor: Pair;
  has_width_factor: boolean;
  value_range: Pair;
  seed?: number; // present only when the layer has its own seed
  pad: [number, number, number, number]; // top, bottom, left, right
}

export function toNativePreprocessing(layer: LayerConfig): NativePreprocessingSpec {
  const p: NativePreprocessingSpec = {
    scale: 1,
    offset: 0,
    height: 0,
    width: 0,
    interpolation: 'bilinear',
    crop_to_aspect_ratio: false,
    pad_to_aspect_ratio: false,
    fill_mode: 'reflect',
    fill_value: 0,
    mode: 'horizontal_and_vertical',
    height_factor: [0, 0],
    width_factor: [0, 0],
    factor: [0, 0],
    has_width_factor: true,
    value_range: [0, 255],
    pad: [0, 0, 0, 0],
  };
  switch (layer.type) {
    case 'Rescaling':
      p.scale = layer.scale;
      p.offset = layer.offset;
      break;
    case 'Resizing':
      p.height = layer.height;
      p.width = layer.width;
      p.interpolation = layer.interpolation;
      p.crop_to_aspect_ratio = layer.crop_to_aspect_ratio;
      p.pad_to_aspect_ratio = layer.pad_to_aspect_ratio;
      p.fill_value = layer.fill_value;
      break;
    case 'ZeroPadding2D':
    case 'Cropping2D': {
      const [[t, b], [l, r]] = layer.type === 'ZeroPadding2D' ? layer.padding : layer.cropping;
      p.pad = [t, b, l, r];
      break;
    }
    case 'RandomFlip':
      p.mode = layer.mode;
      break;
    case 'RandomTranslation':
    case 'RandomRotation':
    case 'RandomZoom':
      p.fill_mode = layer.fill_mode;
      p.interpolation = layer.interpolation;
      p.fill_value = layer.fill_value;
      if (layer.type === 'RandomRotation') p.factor = [...layer.factor];
      else {
        p.height_factor = [...layer.height_factor];
        p.has_width_factor = layer.width_factor !== null;
        if (layer.width_factor !== null) p.width_factor = [...layer.width_factor];
      }
      break;
    case 'RandomContrast':
    case 'RandomBrightness':
      p.factor = [...layer.factor];
      p.value_range = [...layer.value_range];
      break;
    default:
      break;
  }
  if ('seed' in layer && layer.seed !== null && layer.type !== 'Dropout') p.seed = layer.seed;
  return p;
}
