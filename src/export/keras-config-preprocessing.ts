/**
 * Keras 3 config.json entries of the preprocessing and augmentation layers, as their get_config()
 * writes them (Keras reloads the random layers, which it too runs only in training).
 */
import type { PreprocessingLayerConfig } from '../model/config-preprocessing.js';

type Json = Record<string, unknown>;

export function preprocessingKerasConfig(layer: PreprocessingLayerConfig, common: Json, wrap: (module: string, cls: string, config: Json) => Json): Json {
  const image = { ...common, data_format: 'channels_last' };
  const cfg = (config: Json) => wrap('keras.layers', layer.type, config);
  switch (layer.type) {
    case 'Rescaling':
      return cfg({ ...common, scale: layer.scale, offset: layer.offset });
    case 'Resizing':
      return cfg({
        ...image,
        height: layer.height,
        width: layer.width,
        interpolation: layer.interpolation,
        crop_to_aspect_ratio: layer.crop_to_aspect_ratio,
        pad_to_aspect_ratio: layer.pad_to_aspect_ratio,
        fill_mode: 'constant',
        fill_value: layer.fill_value,
        antialias: false,
      });
    case 'ZeroPadding2D':
      return cfg({ ...common, padding: layer.padding, data_format: 'channels_last' });
    case 'Cropping2D':
      return cfg({ ...common, cropping: layer.cropping, data_format: 'channels_last' });
    case 'Reshape':
      return cfg({ ...common, target_shape: [...layer.target_shape] });
    case 'RandomFlip':
      return cfg({ ...image, seed: layer.seed, mode: layer.mode });
    case 'RandomTranslation':
    case 'RandomZoom':
      return cfg({
        ...image,
        height_factor: [...layer.height_factor],
        width_factor: layer.width_factor === null ? null : [...layer.width_factor],
        fill_mode: layer.fill_mode,
        interpolation: layer.interpolation,
        seed: layer.seed,
        fill_value: layer.fill_value,
      });
    case 'RandomRotation':
      return cfg({ ...image, factor: [...layer.factor], fill_mode: layer.fill_mode, fill_value: layer.fill_value, interpolation: layer.interpolation, seed: layer.seed });
    case 'RandomContrast':
    case 'RandomBrightness':
      return cfg({ ...image, factor: [...layer.factor], value_range: [...layer.value_range], seed: layer.seed });
  }
}
