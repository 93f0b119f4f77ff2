/**
 * One dataset image as a PNG, each pixel a `scale` x `scale` square: in colour for three channels
 * (CIFAR-10's RGB), grey otherwise, the raw 0..255 values as they are (what plt.imshow shows).
 */
import { Canvas, type Rgb } from './canvas.js';

export interface ImagePixels {
  images: Uint8Array;
  height: number;
  width: number;
  channels: number;
  count: number;
}

export function datasetImageCanvas(set: ImagePixels, index: number, scale = 8): Canvas {
  if (!Number.isInteger(index) || index < 0 || index >= set.count) throw new RangeError(`image index ${index} is out of range 0..${set.count - 1}`);
  const { height, width, channels } = set;
  const base = index * height * width * channels;
  const canvas = new Canvas(width * scale, height * scale);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = base + (y * width + x) * channels;
      let color: Rgb;
      if (channels === 3) color = [set.images[at], set.images[at + 1], set.images[at + 2]];
      else {
        let sum = 0;
        for (let c = 0; c < channels; c++) sum += set.images[at + c];
        const grey = Math.round(sum / channels);
        color = [grey, grey, grey];
      }
      canvas.fillRect(x * scale, y * scale, scale, scale, color);
    }
  }
  return canvas;
}
