/**
 * Deterministic shuffling. Each epoch's order is a pure function of (seed, epoch), so a run resumed from
 * a checkpoint sees exactly the order the uninterrupted run saw, with no generator state to save.
 */

/** splitmix32-style mixing of a 32-bit value. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A small fast generator (sfc32) seeded from (seed, stream). Returns uint32 values. */
export function createRng(seed: number, stream: number): () => number {
  let a = mix32(seed >>> 0);
  let b = mix32(a ^ (stream >>> 0));
  let c = mix32(b ^ 0x6a09e667);
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** Uniform integer in [0, n) without modulo bias. */
function below(rng: () => number, n: number): number {
  const limit = Math.floor(0x100000000 / n) * n;
  let r: number;
  do r = rng();
  while (r >= limit);
  return r % n;
}

/** The order of the training examples in an epoch (0-based epoch). */
export function epochOrder(count: number, seed: number, epoch: number, shuffle: boolean): Int32Array {
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  if (!shuffle) return order;
  const rng = createRng(seed, epoch + 1);
  for (let i = count - 1; i > 0; i--) {
    const j = below(rng, i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
