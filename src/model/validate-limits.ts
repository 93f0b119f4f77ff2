/**
 * The numeric limits every config value and calculator option is checked against, and the geometry
 * checks shared by shape inference and the calculators. The native core indexes activations, GEMM
 * dimensions and pixel coordinates with 32-bit ints, and the addon refuses (never wraps) anything past
 * them, so the TypeScript side states the same limits first, with the JSON path or the option name.
 */

/** The largest value of a 32-bit signed int: every dimension, count and window size. */
export const INT32_MAX = 2147483647;
/** The addon's workers take batches of at most this many examples. */
export const MAX_BATCH_SIZE = 65536;
/** Seeds are integers a JavaScript number holds exactly. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;
/** One example's activations (any layer's output) are indexed with int32 in the core. */
export const MAX_VALUES_PER_EXAMPLE = INT32_MAX;

/**
 * Why a convolution or pooling window along one axis cannot be computed in 32 bits, or undefined.
 * The core's loops index pixel (out-1)*stride + (kernel-1)*dilation + 1 at the farthest.
 */
export function windowLimitProblem(input: number, kernel: number, stride: number, dilation: number, padding: 'valid' | 'same'): string | undefined {
  const extent = (kernel - 1) * dilation + 1;
  if (extent > INT32_MAX) {
    const how = dilation > 1 ? `kernel ${kernel} with dilation ${dilation} spans (${kernel} - 1) x ${dilation} + 1 = ${extent} pixels` : `a window of ${kernel} pixels`;
    return `${how}, more than the limit of ${INT32_MAX}`;
  }
  const out = padding === 'same' ? Math.ceil(input / stride) : Math.floor((input - extent) / stride) + 1;
  if (out >= 1 && (out - 1) * stride + extent > INT32_MAX) {
    return `its windows reach pixel ${(out - 1) * stride + extent} of the (padded) input, more than the limit of ${INT32_MAX}`;
  }
  return undefined;
}
