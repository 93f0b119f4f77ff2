/**
 * Output shapes of the preprocessing and augmentation layers, as Keras computes them (without the
 * batch axis). A problem names the argument at fault, as shapes.ts does.
 */
import type { PreprocessingLayerConfig } from './config-preprocessing.js';
import type { ShapeResult } from './shapes.js';

function tuple(shape: readonly number[]): string {
  return `(${['None', ...shape.map(String)].join(', ')})`;
}

function reshape(target: readonly number[], input: readonly number[]): ShapeResult {
  const size = input.reduce((a, b) => a * b, 1);
  const known = target.filter((n) => n !== -1).reduce((a, b) => a * b, 1);
  const free = target.indexOf(-1);
  const shape = [...target];
  if (free >= 0 && known > 0 && size % known === 0) shape[free] = size / known;
  if (shape.reduce((a, b) => a * b, 1) !== size || shape.some((n) => n < 1)) {
    return {
      ok: false,
      key: 'target_shape',
      message: `cannot reshape ${tuple(input)} (${size} values per example) into ${JSON.stringify(target)}: the total size must stay the same`,
    };
  }
  return { ok: true, shape };
}

export function preprocessingOutputShape(layer: PreprocessingLayerConfig, input: number[]): ShapeResult {
  if (layer.type === 'Rescaling') return { ok: true, shape: [...input] };
  if (layer.type === 'Reshape') return reshape(layer.target_shape, input);
  if (input.length !== 3) {
    return { ok: false, key: '', message: `${layer.type} needs a 3-D input (height, width, channels) but its input is ${tuple(input)}` };
  }
  const [h, w, c] = input;
  switch (layer.type) {
    case 'Resizing':
      return { ok: true, shape: [layer.height, layer.width, c] };
    case 'ZeroPadding2D': {
      const [[t, b], [l, r]] = layer.padding;
      return { ok: true, shape: [h + t + b, w + l + r, c] };
    }
    case 'Cropping2D': {
      const [[t, b], [l, r]] = layer.cropping;
      if (t + b >= h || l + r >= w) {
        const along = t + b >= h ? `height ${h} by ${t} + ${b}` : `width ${w} by ${l} + ${r}`;
        return { ok: false, key: 'cropping', message: `cropping the ${along} leaves nothing of the input ${tuple(input)}` };
      }
      return { ok: true, shape: [h - t - b, w - l - r, c] };
    }
    default:
      return { ok: true, shape: [...input] };
  }
}
