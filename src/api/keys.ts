/**
 * The library's naming rule: options are camelCase in code (kernelSize, learningRate, beta1), as in
 * TensorFlow.js; the same keys in Keras's snake_case (kernel_size, learning_rate, beta_1) are accepted
 * too, so a layer or optimizer copied from a Keras config works unchanged. Both become the config's
 * snake_case before validation, so errors name the same JSON paths as the CLI's.
 */
import { usageError } from '../errors.js';

/** kernelSize -> kernel_size, beta1 -> beta_1, learningRate -> learning_rate; snake_case is kept. */
export function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([a-z])(\d)/g, '$1_$2').toLowerCase();
}

/**
 * A copy of `args` with every key in snake_case; values are kept as they are. Giving one option in
 * both spellings is refused (which one should win is not obvious).
 */
export function toSnakeKeys(args: object, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined) continue;
    const snake = snakeCase(key);
    if (snake in out) {
      throw usageError('ERR_BAD_OPTION', `${where}: ${from[snake]} and ${key} are the same option; give it once`);
    }
    out[snake] = value;
    from[snake] = key;
  }
  return out;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}
