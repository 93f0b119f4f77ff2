/** Option parsing shared by the commands: every failure is a usage error naming the option. */
import { usageError } from '../errors.js';

export function parseIntOption(name: string, raw: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(raw);
  if (!/^-?\d+$/.test(String(raw).trim()) || !Number.isSafeInteger(n)) {
    throw usageError('ERR_BAD_OPTION', `${name} must be an integer, got ${JSON.stringify(raw)}`);
  }
  if (n < min || n > max) {
    throw usageError('ERR_BAD_OPTION', `${name} must be between ${min} and ${max}, got ${n}`);
  }
  return n;
}

export function parseNumberOption(name: string, raw: string, min = -Infinity, max = Infinity): number {
  const n = Number(raw);
  if (String(raw).trim() === '' || !Number.isFinite(n)) {
    throw usageError('ERR_BAD_OPTION', `${name} must be a number, got ${JSON.stringify(raw)}`);
  }
  if (n < min || n > max) throw usageError('ERR_BAD_OPTION', `${name} must be ${rangeText(min, max)}, got ${n}`);
  return n;
}

/** "between 1 and 60", or "at least 0.001" when there is no upper bound. */
function rangeText(min: number, max: number): string {
  if (max === Infinity) return `at least ${min}`;
  if (min === -Infinity) return `at most ${max}`;
  return `between ${min} and ${max}`;
}

/** "3" -> [3, 3]; "2,3" -> [2, 3]. */
export function parsePairOption(name: string, raw: string): [number, number] {
  const parts = String(raw).split(',').map((s) => s.trim());
  if (parts.length === 1) {
    const v = parseIntOption(name, parts[0]);
    return [v, v];
  }
  if (parts.length === 2) return [parseIntOption(name, parts[0]), parseIntOption(name, parts[1])];
  throw usageError('ERR_BAD_OPTION', `${name} must be an integer or a pair "H,W", got ${JSON.stringify(raw)}`);
}

export function parseChoice<T extends string>(name: string, raw: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw usageError('ERR_BAD_OPTION', `${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
}

/** A nested JSON array of finite numbers, e.g. "[[1,2],[3,4]]". Returns the flat data and the shape. */
export function parseTensorOption(name: string, raw: string): { data: number[]; shape: number[] } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw usageError('ERR_BAD_OPTION', `${name} is not valid JSON: ${(e as Error).message}`);
  }
  const shape: number[] = [];
  for (let v: unknown = value; Array.isArray(v); v = v[0]) {
    if (v.length === 0) throw usageError('ERR_BAD_OPTION', `${name} has an empty array`);
    shape.push(v.length);
  }
  if (shape.length === 0) throw usageError('ERR_BAD_OPTION', `${name} must be a nested array of numbers`);
  const data: number[] = [];
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw usageError('ERR_BAD_OPTION', `${name}${path} must be a number, got ${JSON.stringify(v)}`);
      }
      data.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw usageError('ERR_BAD_OPTION', `${name}${path} must be an array of ${shape[depth]} (the array is ragged)`);
    }
    v.forEach((e, i) => walk(e, depth + 1, `${path}[${i}]`));
  };
  walk(value, 0, '');
  return { data, shape };
}

/** Rebuilds nested arrays from flat data in row-major order. */
export function nest(data: ArrayLike<number>, shape: number[]): unknown {
  const build = (offset: number, depth: number): unknown => {
    if (depth === shape.length) return data[offset];
    const stride = shape.slice(depth + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: shape[depth] }, (_, i) => build(offset + i * stride, depth + 1));
  };
  return build(0, 0);
}
