/**
 * Initializers and regularizers, written the ways Keras accepts them: a name ("glorot_uniform",
 * "GlorotUniform", "l2"), or an object ({"type": "constant", "value": ...} or Keras's serialized
 * {"class_name": "Constant", "config": {"value": ...}}). Normalized to one object form.
 */
import { INITIALIZERS, type InitializerConfig, type InitializerName, type NestedNumbers, type RegularizerConfig } from './config.js';
import { checkKeys, describeValue, isPlainObject, joinPath, readNumber, report, suggest, type Ctx } from './validate-core.js';

/** "GlorotUniform" and "glorot_uniform" are the same initializer to Keras. */
function initializerName(raw: string): string {
  return raw
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

const INITIALIZER_ARGS: Readonly<Record<InitializerName, readonly string[]>> = {
  glorot_uniform: [],
  glorot_normal: [],
  he_uniform: [],
  he_normal: [],
  zeros: [],
  ones: [],
  constant: ['value'],
  random_normal: ['mean', 'stddev'],
  random_uniform: ['minval', 'maxval'],
};

/** The shape of a nested array, or a message saying why it is not a rectangular array of numbers. */
export function nestedShape(v: unknown): { shape: number[] } | { error: string } {
  if (typeof v === 'number') return Number.isFinite(v) ? { shape: [] } : { error: `holds a non-finite number` };
  if (!Array.isArray(v)) return { error: `must be a number or a nested array of numbers, got ${describeValue(v)}` };
  if (v.length === 0) return { error: 'holds an empty array' };
  const inner = v.map(nestedShape);
  const first = inner[0];
  if ('error' in first) return first;
  for (let i = 1; i < inner.length; i++) {
    const s = inner[i];
    if ('error' in s) return s;
    if (s.shape.join(',') !== first.shape.join(',')) return { error: 'is ragged (its sub-arrays differ in shape)' };
  }
  return { shape: [v.length, ...first.shape] };
}

function readInitializerArgs(ctx: Ctx, type: InitializerName, args: Record<string, unknown>, base: string): InitializerConfig {
  switch (type) {
    case 'constant': {
      const value = args.value ?? 0;
      const shape = nestedShape(value);
      if ('error' in shape) {
        report(ctx, joinPath(base, 'value'), shape.error);
        return { type, value: 0 };
      }
      return { type, value: value as NestedNumbers };
    }
    case 'random_normal':
      return { type, mean: readNumber(ctx, args, base, 'mean', 0), stddev: readNumber(ctx, args, base, 'stddev', 0.05, { min: 0 }) };
    case 'random_uniform': {
      const minval = readNumber(ctx, args, base, 'minval', -0.05);
      const maxval = readNumber(ctx, args, base, 'maxval', 0.05);
      if (maxval < minval) report(ctx, joinPath(base, 'maxval'), `must be >= minval (${minval}), got ${maxval}`);
      return { type, minval, maxval };
    }
    default:
      return { type };
  }
}

export function readInitializer(ctx: Ctx, obj: Record<string, unknown>, base: string, key: string, fallback: InitializerName): InitializerConfig {
  const path = joinPath(base, key);
  const v = obj[key];
  if (v === undefined || v === null) return readInitializerArgs(ctx, fallback, {}, path);
  const known = (name: unknown, where: string): InitializerName | undefined => {
    const n = typeof name === 'string' ? initializerName(name) : undefined;
    if (n && (INITIALIZERS as readonly string[]).includes(n)) return n as InitializerName;
    const hint = typeof name === 'string' ? suggest(name, INITIALIZERS) : undefined;
    report(
      ctx,
      where,
      `must name an initializer (${INITIALIZERS.join(', ')}), got ${describeValue(name)}${hint ? `; did you mean ${JSON.stringify(hint)}?` : ''}`,
    );
    return undefined;
  };
  if (typeof v === 'string') {
    const type = known(v, path);
    return type ? readInitializerArgs(ctx, type, {}, path) : { type: fallback } as InitializerConfig;
  }
  if (!isPlainObject(v)) {
    report(ctx, path, `must be an initializer name or an object like {"type": "constant", "value": 0.1}, got ${describeValue(v)}`);
    return { type: fallback } as InitializerConfig;
  }
  const typeKey = 'class_name' in v && !('type' in v) ? 'class_name' : 'type';
  if (v[typeKey] === undefined) {
    report(ctx, joinPath(path, 'type'), `is required (the initializer's name, e.g. "constant")`);
    return { type: fallback } as InitializerConfig;
  }
  const type = known(v[typeKey], joinPath(path, typeKey));
  if (!type) return { type: fallback } as InitializerConfig;
  // Keras's serialized form keeps the arguments under "config"; ours puts them beside "type".
  const nested = isPlainObject(v.config);
  const args = nested ? (v.config as Record<string, unknown>) : v;
  const argsPath = nested ? joinPath(path, 'config') : path;
  checkKeys(ctx, v, path, nested ? [typeKey, 'config', 'module', 'registered_name'] : [typeKey, ...INITIALIZER_ARGS[type]], `initializer ${type}`);
  if (nested) checkKeys(ctx, args, argsPath, [...INITIALIZER_ARGS[type], 'seed'], `initializer ${type}`);
  return readInitializerArgs(ctx, type, args, argsPath);
}

const REGULARIZER_NAMES: Readonly<Record<string, { l1: number; l2: number }>> = {
  l1: { l1: 0.01, l2: 0 },
  l2: { l1: 0, l2: 0.01 },
  l1_l2: { l1: 0.01, l2: 0.01 },
  l1l2: { l1: 0.01, l2: 0.01 },
};

export function readRegularizer(ctx: Ctx, obj: Record<string, unknown>, base: string, key: string): RegularizerConfig {
  const path = joinPath(base, key);
  const v = obj[key];
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') {
    const r = REGULARIZER_NAMES[v.toLowerCase()];
    if (r) return { ...r };
    report(ctx, path, `must be "l1", "l2", "l1_l2" or {"l1": x, "l2": y}, got ${describeValue(v)}`);
    return null;
  }
  if (!isPlainObject(v)) {
    report(ctx, path, `must be "l1", "l2", "l1_l2" or {"l1": x, "l2": y}, got ${describeValue(v)}`);
    return null;
  }
  checkKeys(ctx, v, path, ['l1', 'l2'], 'a regularizer');
  return { l1: readNumber(ctx, v, path, 'l1', 0, { min: 0 }), l2: readNumber(ctx, v, path, 'l2', 0, { min: 0 }) };
}

/** A constant initializer holding an array must have exactly the parameter's shape. */
export function checkConstantShape(ctx: Ctx, init: InitializerConfig, path: string, paramShape: readonly number[], param: string): void {
  if (init.type !== 'constant' || typeof init.value === 'number') return;
  const got = nestedShape(init.value);
  if ('error' in got) return; // already reported
  if (got.shape.join(',') === paramShape.join(',')) return;
  const fmt = (s: readonly number[]): string => `(${s.join(', ')}${s.length === 1 ? ',' : ''})`;
  report(ctx, joinPath(path, 'value'), `has shape ${fmt(got.shape)} but the ${param} has shape ${fmt(paramShape)}`);
}
