/**
 * Mutations for the fuzz targets: byte-level (bit flips, truncation, insertion, interesting
 * integers, splicing two inputs) and JSON-level (a value replaced by an interesting number, a wrong
 * type, a huge array or deep nesting; keys dropped or added), all driven by one seeded Rng.
 */
import type { Rng } from './random.js';

/** Integers that break size arithmetic: signs, 2^31, 2^32, 2^53 ... */
const INTERESTING_U32 = [0, 1, 2, 3, 4, 7, 8, 16, 255, 256, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const INTERESTING_F32 = [NaN, Infinity, -Infinity, -0, 3.4e38, 1e-45];

export function flipBits(rng: Rng, bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  if (out.length === 0) return out;
  for (let n = rng.range(1, 8); n > 0; n--) out[rng.int(out.length)] ^= 1 << rng.int(8);
  return out;
}

function setInteresting(rng: Rng, bytes: Uint8Array): Uint8Array {
  const out = Buffer.from(bytes);
  if (out.length < 8) return out;
  const at = rng.int(out.length - 7);
  switch (rng.int(5)) {
    case 0:
      out.writeUInt32LE(rng.pick(INTERESTING_U32), at);
      break;
    case 1:
      out.writeUInt32BE(rng.pick(INTERESTING_U32), at);
      break;
    case 2:
      out.writeBigUInt64LE(rng.pick([0n, 1n, 2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 62n + 3n]), at);
      break;
    case 3:
      out.writeFloatLE(rng.pick(INTERESTING_F32), at);
      break;
    default:
      out[at] = rng.pick([0, 0x7f, 0x80, 0xff, 0x1f, 0x8b, 0x08]);
  }
  return out;
}

function truncate(rng: Rng, bytes: Uint8Array): Uint8Array {
  return bytes.slice(0, rng.int(bytes.length + 1));
}

function insertBytes(rng: Rng, bytes: Uint8Array): Uint8Array {
  const at = rng.int(bytes.length + 1);
  const extra = Uint8Array.from({ length: rng.range(1, 64) }, () => (rng.chance(0.5) ? rng.int(256) : 0));
  return Buffer.concat([bytes.subarray(0, at), extra, bytes.subarray(at)]);
}

function deleteRange(rng: Rng, bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) return bytes;
  const at = rng.int(bytes.length);
  const len = rng.range(1, Math.min(64, bytes.length - at));
  return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + len)]);
}

function duplicateRange(rng: Rng, bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) return bytes;
  const from = rng.int(bytes.length);
  const chunk = bytes.subarray(from, from + rng.range(1, 256));
  const at = rng.int(bytes.length + 1);
  return Buffer.concat([bytes.subarray(0, at), chunk, bytes.subarray(at)]);
}

/** The start of one input and the end of another. */
export function splice(rng: Rng, a: Uint8Array, b: Uint8Array): Uint8Array {
  return Buffer.concat([a.subarray(0, rng.int(a.length + 1)), b.subarray(rng.int(b.length + 1))]);
}

const BYTE_MUTATIONS = [flipBits, setInteresting, setInteresting, truncate, insertBytes, deleteRange, duplicateRange];

/** One to three byte-level mutations. */
export function mutateBytes(rng: Rng, bytes: Uint8Array): Uint8Array {
  let out = bytes;
  for (let n = rng.range(1, 3); n > 0; n--) out = rng.pick(BYTE_MUTATIONS)(rng, out);
  return out;
}

// ---- JSON ------------------------------------------------------------------------------------

/** Numbers spliced into JSON text as written (NaN and Infinity are not JSON: the parser must say so). */
const NUMBER_TEXTS = ['-1', '0', '-0', '1', '0.5', '2147483647', '2147483648', '4294967296', '9007199254740992', '9007199254740993', '1e308', '-1e308', '1e999', '5e-324', '-7', 'NaN', 'Infinity', '1.0e2', '99999999999999999999999'];
const NUMBER_VALUES = [-1, 0, -0, 1, 0.5, 1.5, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, 5e-324, -7, 65536, 1e9];
const WRONG_TYPES: unknown[] = ['x', '', '28', 'NaN', true, false, null, {}, [], [null], { type: 'Dense' }, [[[]]], '../../etc/passwd', '/dev/zero'];

type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** Every path to a value in the tree (root included), up to a limit. */
function paths(value: JsonValue, limit = 2000): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (v: JsonValue, path: (string | number)[], depth: number) => {
    if (out.length >= limit || depth > 64) return;
    out.push(path);
    if (Array.isArray(v)) v.forEach((c, i) => walk(c, [...path, i], depth + 1));
    else if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...path, k], depth + 1);
  };
  walk(value, [], 0);
  return out;
}

function getAt(root: JsonValue, path: (string | number)[]): JsonValue {
  let v: JsonValue = root;
  for (const k of path) v = (v as Record<string | number, JsonValue>)[k];
  return v;
}

const DEEP = '\u0000DEEP\u0000';

/** One structural mutation of a parsed JSON tree; may return text containing the DEEP marker. */
function mutateTree(rng: Rng, root: JsonValue): { tree: JsonValue; deep?: string; huge?: boolean } {
  const all = paths(root);
  const path = rng.pick(all);
  const target = getAt(root, path);
  let replacement: JsonValue | undefined;
  let deep: string | undefined;
  switch (rng.int(9)) {
    case 0:
    case 1:
      replacement = rng.pick(NUMBER_VALUES);
      break;
    case 2:
    case 3:
      replacement = rng.pick(WRONG_TYPES) as JsonValue;
      break;
    case 4: {
      // a huge array, of numbers or of the value itself
      // (copies of a subtree kept under 4 MB of JSON: a mutant is made in the fuzzer's own thread)
      const length = rng.pick([1000, 20000, 200000]);
      const size = (JSON.stringify(target) ?? 'null').length;
      replacement = rng.chance(0.5) ? new Array(length).fill(rng.pick([0, 1, 28, -1])) : new Array(Math.max(1, Math.min(length, Math.floor(4e6 / size)))).fill(target);
      break;
    }
    case 5: {
      const depth = rng.pick([100, 1000, 10000, 100000]);
      const open = rng.chance(0.5) ? '[' : '{"a":';
      const close = open === '[' ? ']' : '}';
      deep = open.repeat(depth) + (rng.chance(0.5) ? '1' : '{}') + close.repeat(depth);
      replacement = DEEP;
      break;
    }
    case 6:
      if (target && typeof target === 'object' && !Array.isArray(target)) {
        const keys = Object.keys(target);
        if (keys.length > 0) delete (target as Record<string, JsonValue>)[rng.pick(keys)];
      } else if (Array.isArray(target) && target.length > 0) {
        target.splice(rng.int(target.length), 1);
      }
      return { tree: root };
    case 7:
      if (target && typeof target === 'object' && !Array.isArray(target)) {
        (target as Record<string, JsonValue>)[rng.pick(['extra', 'type', 'name', 'shape', 'paths', 'layers', '__proto__', 'constructor'])] = rng.pick(WRONG_TYPES) as JsonValue;
      } else if (Array.isArray(target)) {
        target.push(target.length > 0 ? target[rng.int(target.length)] : 0);
      }
      return { tree: root };
    default: {
      // another subtree of the same document in its place
      replacement = structuredClone(getAt(root, rng.pick(all)));
    }
  }
  const huge = deep !== undefined || (Array.isArray(replacement) && replacement.length > 1 && replacement[0] === replacement[replacement.length - 1]);
  if (path.length === 0) return { tree: replacement ?? null, deep, huge };
  const parent = getAt(root, path.slice(0, -1)) as Record<string | number, JsonValue>;
  parent[path[path.length - 1]] = replacement ?? null;
  return { tree: root, deep, huge };
}

/** A JSON text mutated structurally (if it parses) or textually. */
export function mutateJsonText(rng: Rng, text: string): string {
  let tree: JsonValue;
  try {
    tree = JSON.parse(text) as JsonValue;
  } catch {
    return Buffer.from(mutateBytes(rng, Buffer.from(text))).toString('latin1');
  }
  if (rng.chance(0.2)) {
    // a number token replaced textually, so values JSON.stringify cannot write appear too
    const numbers = [...text.matchAll(/-?\d+(\.\d+)?([eE][-+]?\d+)?/g)];
    if (numbers.length > 0) {
      const m = rng.pick(numbers);
      return text.slice(0, m.index) + rng.pick(NUMBER_TEXTS) + text.slice(m.index! + m[0].length);
    }
  }
  let deepText: string | undefined;
  for (let n = rng.range(1, 3); n > 0 && text.length < 1e6; n--) {
    const r = mutateTree(rng, tree);
    tree = r.tree;
    if (r.deep) deepText = r.deep;
    // One huge change is the last: copies of copies would grow without bound (the copies are shared).
    if (r.huge) break;
  }
  const out = JSON.stringify(tree);
  return deepText ? out.replace(JSON.stringify(DEEP), deepText) : out;
}

export function mutateJsonBytes(rng: Rng, bytes: Uint8Array): Uint8Array {
  return Buffer.from(mutateJsonText(rng, Buffer.from(bytes).toString('utf8')), 'utf8');
}
