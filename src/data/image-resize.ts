/**
 * Keras's resizing of one decoded image, on 8-bit HWC pixels: tf.image.resize's bilinear
 * (half-pixel centres, no antialiasing, the arithmetic in float32), smart_resize for
 * crop_to_aspect_ratio and tf.image.resize_with_pad for pad_to_aspect_ratio. Keras keeps the float32
 * result; cnn keeps 8-bit pixels, so each value is rounded to the nearest integer (an image already
 * of the target size comes out unchanged, bit for bit).
 */

export interface Pixels {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

const f = Math.fround;

/** tf.image.resize(method='bilinear', antialias=False) of `src`, written into `out` at (top, left) of a `outWidth`-wide image. */
function bilinearInto(src: Pixels, height: number, width: number, out: Uint8Array, outWidth: number, top: number, left: number): void {
  const { data, channels: c } = src;
  const scaleY = f(src.height / height);
  const scaleX = f(src.width / width);
  // The x taps and weights are the same on every row.
  const x0 = new Int32Array(width);
  const x1 = new Int32Array(width);
  const xl = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const inX = f(f(f(x + 0.5) * scaleX) - 0.5);
    const fl = Math.floor(inX);
    x0[x] = Math.max(fl, 0);
    x1[x] = Math.min(Math.ceil(inX), src.width - 1);
    xl[x] = f(inX - fl);
  }
  for (let y = 0; y < height; y++) {
    const inY = f(f(f(y + 0.5) * scaleY) - 0.5);
    const fl = Math.floor(inY);
    const y0 = Math.max(fl, 0);
    const y1 = Math.min(Math.ceil(inY), src.height - 1);
    const yl = f(inY - fl);
    const r0 = y0 * src.width * c;
    const r1 = y1 * src.width * c;
    let o = ((top + y) * outWidth + left) * c;
    for (let x = 0; x < width; x++) {
      const a0 = x0[x] * c;
      const a1 = x1[x] * c;
      const w = xl[x];
      for (let k = 0; k < c; k++, o++) {
        const tl = data[r0 + a0 + k];
        const tr = data[r0 + a1 + k];
        const bl = data[r1 + a0 + k];
        const br = data[r1 + a1 + k];
        const topV = f(tl + f(f(tr - tl) * w));
        const bottom = f(bl + f(f(br - bl) * w));
        const v = f(topV + f(f(bottom - topV) * yl));
        out[o] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      }
    }
  }
}

export function resizeBilinear(src: Pixels, height: number, width: number): Pixels {
  if (src.height === height && src.width === width) return src;
  const out = new Uint8Array(height * width * src.channels);
  bilinearInto(src, height, width, out, width, 0, 0);
  return { width, height, channels: src.channels, data: out };
}

function crop(src: Pixels, top: number, left: number, height: number, width: number): Pixels {
  const c = src.channels;
  const out = new Uint8Array(height * width * c);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * src.width + left) * c;
    out.set(src.data.subarray(from, from + width * c), y * width * c);
  }
  return { width, height, channels: c, data: out };
}

/** keras.utils.smart_resize as image_dataset_from_directory runs it in tf.data (float32 sizes): the largest centred window of the target's aspect ratio, resized. */
export function smartResize(src: Pixels, height: number, width: number): Pixels {
  const cropHeight = Math.max(Math.min(src.height, Math.trunc(f(f(src.width * height) / width))), 1);
  const cropWidth = Math.max(Math.min(src.width, Math.trunc(f(f(src.height * width) / height))), 1);
  const top = Math.trunc(f(f(src.height - cropHeight) / 2));
  const left = Math.trunc(f(f(src.width - cropWidth) / 2));
  const window = cropHeight === src.height && cropWidth === src.width ? src : crop(src, top, left, cropHeight, cropWidth);
  return resizeBilinear(window, height, width);
}

/** tf.image.resize_with_pad: resized to fit inside the target keeping its aspect ratio, centred on zeros. */
export function resizeWithPad(src: Pixels, height: number, width: number): Pixels {
  const ratio = Math.max(f(src.width / width), f(src.height / height));
  const resizedHeightF = f(src.height / ratio);
  const resizedWidthF = f(src.width / ratio);
  const resizedHeight = Math.floor(resizedHeightF);
  const resizedWidth = Math.floor(resizedWidthF);
  const padTop = Math.max(0, Math.floor(f(f(height - resizedHeightF) / 2)));
  const padLeft = Math.max(0, Math.floor(f(f(width - resizedWidthF) / 2)));
  const out = new Uint8Array(height * width * src.channels);
  if (resizedHeight === src.height && resizedWidth === src.width) {
    for (let y = 0; y < src.height; y++) {
      out.set(src.data.subarray(y * src.width * src.channels, (y + 1) * src.width * src.channels), ((padTop + y) * width + padLeft) * src.channels);
    }
  } else {
    bilinearInto(src, resizedHeight, resizedWidth, out, width, padTop, padLeft);
  }
  return { width, height, channels: src.channels, data: out };
}

export type ResizeMode = 'stretch' | 'crop' | 'pad';

export function resizeForKeras(src: Pixels, height: number, width: number, mode: ResizeMode): Pixels {
  if (mode === 'crop') return smartResize(src, height, width);
  if (mode === 'pad') return resizeWithPad(src, height, width);
  return resizeBilinear(src, height, width);
}
