/**
 * Python's str.format for ModelCheckpoint file paths: "{epoch:02d}-{val_loss:.2f}.bin". Supports the
 * format spec [[fill]align][sign][0][width][,][.precision][type] with types d, f, e, g, %, s and none.
 */
import { usageError } from '../errors.js';

const SPEC = /^(?:(.)?([<>^=]))?([+\- ])?(0)?(\d+)?(,)?(?:\.(\d+))?([dfFeEgG%s])?$/;

function formatNumber(v: number, type: string | undefined, precision: number | undefined, fieldName: string, pattern: string): string {
  switch (type) {
    case 'd':
      if (!Number.isInteger(v)) throw usageError('ERR_BAD_OPTION', `cannot format ${fieldName}=${v} with "d" in ${pattern}: not an integer`);
      return String(v);
    case 'f':
    case 'F':
      return v.toFixed(precision ?? 6);
    case 'e':
    case 'E': {
      const s = v.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      return type === 'E' ? s.toUpperCase() : s;
    }
    case '%':
      return `${(v * 100).toFixed(precision ?? 6)}%`;
    case 'g':
    case 'G': {
      const p = precision === 0 ? 1 : (precision ?? 6);
      const exp = v === 0 ? 0 : Math.floor(Math.log10(Math.abs(v)));
      const s = exp < -4 || exp >= p ? v.toExponential(p - 1).replace(/\.?0+e/, 'e').replace(/e([+-])(\d)$/, 'e$10$2') : String(Number(v.toPrecision(p)));
      return type === 'G' ? s.toUpperCase() : s;
    }
    default:
      // Python's str(float): shortest round-trip repr, always with a decimal point for floats.
      return precision !== undefined ? String(Number(v.toPrecision(precision))) : Number.isInteger(v) && fieldName !== 'epoch' && fieldName !== 'batch' ? `${v}.0` : String(v);
  }
}

function formatField(value: unknown, spec: string, fieldName: string, pattern: string): string {
  const m = SPEC.exec(spec);
  if (!m) throw usageError('ERR_BAD_OPTION', `unsupported format spec "{${fieldName}:${spec}}" in ${pattern}`);
  const [, fill = ' ', align, sign, zero, width, comma, precision, type] = m;
  let body: string;
  if (typeof value === 'number') {
    body = formatNumber(Math.abs(value), type, precision === undefined ? undefined : Number(precision), fieldName, pattern);
    if (comma) body = body.replace(/^(\d+)/, (d) => d.replace(/\B(?=(\d{3})+(?!\d))/g, ','));
    const s = value < 0 || Object.is(value, -0) ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
    if (zero && !align && width) return s + body.padStart(Number(width) - s.length, '0');
    body = s + body;
  } else {
    body = String(value);
  }
  const w = width ? Number(width) : 0;
  if (body.length >= w) return body;
  const a = align ?? (typeof value === 'number' ? '>' : '<');
  const pad = w - body.length;
  if (a === '<') return body + fill.repeat(pad);
  if (a === '^') return fill.repeat(Math.floor(pad / 2)) + body + fill.repeat(Math.ceil(pad / 2));
  return fill.repeat(pad) + body;
}

/** Fills {name} and {name:spec} from `values`; {{ and }} are literal braces. */
export function pythonFormat(pattern: string, values: Record<string, unknown>): string {
  return pattern.replace(/\{\{|\}\}|\{([^{}:]*)(?::([^{}]*))?\}/g, (whole, name: string | undefined, spec: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    const key = name ?? '';
    if (!(key in values) || values[key] === undefined) {
      throw usageError('ERR_BAD_OPTION', `Failed to format this callback filepath: "${pattern}". Reason: no value for {${key}} (available: ${Object.keys(values).filter((k) => values[k] !== undefined).join(', ')})`);
    }
    return formatField(values[key], spec ?? '', key, pattern);
  });
}
