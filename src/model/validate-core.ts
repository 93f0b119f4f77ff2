/**
 * The pieces every config check is made of: a list of issues (JSON path, layer, message), readers that
 * check one value and fall back to the Keras default, and "did you mean" suggestions. Readers never
 * throw: they record what is wrong and return a usable value, so one run reports every problem.
 */
import { CnnError, ExitCode } from '../errors.js';
import type { Pair } from './config.js';
import { INT32_MAX } from './validate-limits.js';

export interface ConfigIssue {
  path: string; // e.g. layers[1].kernel_size
  layer?: string; // e.g. conv2d_1 (Conv2D)
  message: string;
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.path || '(top level)'}${issue.layer ? ` [${issue.layer}]` : ''}: ${issue.message}`;
}

/** A config that failed validation: exit code 2, with every issue in the message and in `issues`. */
export class ConfigError extends CnnError {
  readonly issues: ConfigIssue[];
  readonly source: string;

  constructor(source: string, issues: ConfigIssue[]) {
    // A list of a million bad values is one mistake repeated: show the first few.
    const lines = issues.slice(0, MAX_ISSUES_SHOWN).map(formatIssue);
    if (issues.length > MAX_ISSUES_SHOWN) lines.push(`... and ${issues.length - MAX_ISSUES_SHOWN} more`);
    const count = issues.length >= MAX_ISSUES ? `${MAX_ISSUES} or more` : String(issues.length);
    const message =
      issues.length === 1
        ? `${source}: ${lines[0]}`
        : `${source}: ${count} problems in the model config:\n${lines.map((l) => `  ${l}`).join('\n')}`;
    super('ERR_BAD_CONFIG', message, ExitCode.usage);
    this.issues = issues;
    this.source = source;
  }
}

/** Where a check is: the issue list, and the layer being checked (for messages). */
export interface Ctx {
  issues: ConfigIssue[];
  layer?: string;
}

/** Issues kept and shown: a huge config of bad values costs neither time nor a screenful. */
export const MAX_ISSUES = 1000;
const MAX_ISSUES_SHOWN = 20;

export function report(ctx: Ctx, path: string, message: string): void {
  if (ctx.issues.length >= MAX_ISSUES) return;
  ctx.issues.push(ctx.layer ? { path, layer: ctx.layer, message } : { path, message });
}

export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short rendering of a JSON value for messages. */
export function describeValue(v: unknown, max = 60): string {
  if (v === undefined) return 'nothing';
  const s = shortJson(v, max + 1, 0);
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

/**
 * JSON.stringify, but only the first `budget` characters or so, and never deeper than 16 levels: a
 * config value may be a list of a million items or nested 100,000 deep, and describing it in a
 * message must neither take long nor overflow the stack.
 */
function shortJson(v: unknown, budget: number, depth: number): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  const list = Array.isArray(v);
  if (depth >= 16) return list ? '[...]' : '{...}';
  let out = list ? '[' : '{';
  let first = true;
  const add = (text: string) => {
    out += (first ? '' : ',') + text;
    first = false;
  };
  if (list) {
    for (let i = 0; i < v.length && out.length <= budget; i++) add(shortJson(v[i] === undefined ? null : v[i], budget - out.length, depth + 1));
  } else {
    for (const key in v as Record<string, unknown>) {
      if (out.length > budget) break;
      const value = (v as Record<string, unknown>)[key];
      if (value === undefined || typeof value === 'function') continue;
      add(`${JSON.stringify(key)}:${shortJson(value, budget - out.length, depth + 1)}`);
    }
  }
  return out.length > budget ? out : out + (list ? ']' : '}');
}

export function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** Known misnamings that spelling distance cannot find (Keras 2 names, other libraries' names). */
const HINTS: Readonly<Record<string, string>> = {
  lr: 'learning_rate',
  class_name: 'type',
  kernel: 'kernel_size',
  pool: 'pool_size',
  stride: 'strides',
  dilation: 'dilation_rate',
  output_dim: 'units',
  optimiser: 'optimizer',
  epoch: 'epochs',
  batchsize: 'batch_size',
};

/** The closest candidate, when it is close enough to be a likely typo. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const exact = candidates.find((c) => c.toLowerCase() === lower);
  if (exact) return exact;
  const hinted = HINTS[lower];
  if (hinted && candidates.includes(hinted)) return hinted;
  const extended = lower.length >= 3 ? candidates.find((c) => c.toLowerCase().startsWith(lower)) : undefined;
  if (extended) return extended;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function didYouMean(word: string, candidates: readonly string[]): string {
  const s = suggest(word, candidates);
  return s ? `; did you mean ${JSON.stringify(s)}?` : '';
}

/** Reports every key of `obj` that is not in `allowed`. */
export function checkKeys(ctx: Ctx, obj: Record<string, unknown>, base: string, allowed: readonly string[], owner: string): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    const hint = didYouMean(key, allowed);
    report(ctx, joinPath(base, key), `unknown key ${JSON.stringify(key)} for ${owner}${hint || ` (known keys: ${allowed.join(', ')})`}`);
  }
}

interface RangeOptions {
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

function rangeText(o: RangeOptions): string {
  const lo = o.min === undefined ? undefined : `${o.minExclusive ? '>' : '>='} ${o.min}`;
  const hi = o.max === undefined ? undefined : `${o.maxExclusive ? '<' : '<='} ${o.max}`;
  return [lo, hi].filter(Boolean).join(' and ');
}

function inRange(v: number, o: RangeOptions): boolean {
  if (o.min !== undefined && (o.minExclusive ? v <= o.min : v < o.min)) return false;
  if (o.max !== undefined && (o.maxExclusive ? v >= o.max : v > o.max)) return false;
  return true;
}

/** Missing (or null) keys give `fallback`; `fallback` undefined means the key is required. */
function missing(ctx: Ctx, obj: Record<string, unknown>, path: string, key: string, expected: string, required: boolean): boolean {
  if (obj[key] !== undefined && obj[key] !== null) return false;
  if (required) report(ctx, path, `is required (${expected})`);
  return true;
}

export function readInt(
  ctx: Ctx,
  obj: Record<string, unknown>,
  base: string,
  key: string,
  fallback: number | undefined,
  range: RangeOptions = {},
): number {
  const path = joinPath(base, key);
  const expected = `an integer${range.min !== undefined || range.max !== undefined ? ` ${rangeText(range)}` : ''}`;
  if (missing(ctx, obj, path, key, expected, fallback === undefined)) return fallback ?? range.min ?? 1;
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || !inRange(v, range)) {
    report(ctx, path, `must be ${expected}, got ${describeValue(v)}`);
    return fallback ?? range.min ?? 1;
  }
  return v;
}

export function readNumber(
  ctx: Ctx,
  obj: Record<string, unknown>,
  base: string,
  key: string,
  fallback: number | undefined,
  range: RangeOptions = {},
): number {
  const path = joinPath(base, key);
  const bounds = rangeText(range);
  const expected = `a number${bounds ? ` ${bounds}` : ''}`;
  if (missing(ctx, obj, path, key, expected, fallback === undefined)) return fallback ?? 0;
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || !inRange(v, range)) {
    report(ctx, path, `must be ${expected}, got ${describeValue(v)}`);
    return fallback ?? 0;
  }
  return v;
}

export function readBool(ctx: Ctx, obj: Record<string, unknown>, base: string, key: string, fallback: boolean): boolean {
  const v = obj[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') {
    report(ctx, joinPath(base, key), `must be true or false, got ${describeValue(v)}`);
    return fallback;
  }
  return v;
}

export function readString(ctx: Ctx, obj: Record<string, unknown>, base: string, key: string, fallback: string | undefined): string {
  const path = joinPath(base, key);
  if (missing(ctx, obj, path, key, 'a string', fallback === undefined)) return fallback ?? '';
  const v = obj[key];
  if (typeof v !== 'string' || v.length === 0) {
    report(ctx, path, `must be a non-empty string, got ${describeValue(v)}`);
    return fallback ?? '';
  }
  return v;
}

/** Checks a value (not a key) against a list of names; `lowercase` accepts any case, as Keras does. */
export function checkChoice<T extends string>(
  ctx: Ctx,
  v: unknown,
  path: string,
  choices: readonly T[],
  fallback: T,
  lowercase = false,
): T {
  const s = typeof v === 'string' && lowercase ? v.toLowerCase() : v;
  if (typeof s === 'string' && (choices as readonly string[]).includes(s)) return s as T;
  const hint = typeof v === 'string' ? didYouMean(v, choices) : '';
  report(ctx, path, `must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}; got ${describeValue(v)}${hint}`);
  return fallback;
}

export function readChoice<T extends string>(
  ctx: Ctx,
  obj: Record<string, unknown>,
  base: string,
  key: string,
  choices: readonly T[],
  fallback: T,
  lowercase = false,
): T {
  const v = obj[key];
  if (v === undefined || v === null) return fallback;
  return checkChoice(ctx, v, joinPath(base, key), choices, fallback, lowercase);
}

/** An int or a pair of ints, as Keras's kernel_size/strides/dilation_rate/pool_size take. */
export function readPair(
  ctx: Ctx,
  obj: Record<string, unknown>,
  base: string,
  key: string,
  fallback: Pair | undefined,
  min = 1,
  max = INT32_MAX,
): Pair {
  const path = joinPath(base, key);
  const expected = `an integer >= ${min} or a pair of them, each at most ${max}`;
  if (missing(ctx, obj, path, key, expected, fallback === undefined)) return fallback ?? [min, min];
  const v = obj[key];
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= min && n <= max;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  report(ctx, path, `must be ${expected}, e.g. 3 or [3, 3]; got ${describeValue(v)}`);
  return fallback ?? [min, min];
}
