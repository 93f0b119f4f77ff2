/**
 * numpy's legacy `np.random.RandomState(seed).shuffle(list)`, bit for bit: Keras's
 * image_dataset_from_directory shuffles the file list with it before taking the validation split,
 * so which files are validation files depends on this exact sequence. MT19937 seeded by
 * init_genrand (numpy's path for an integer seed), Fisher-Yates from the end with numpy's legacy
 * bounded draw (mask the 32-bit output to the smallest covering power of two, reject above max).
 */

class MT19937 {
  private readonly mt = new Uint32Array(624);
  private index = 624;

  constructor(seed: number) {
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      // 1812433253 * prev + i, in 32 bits (split so the product stays exact in a double).
      this.mt[i] = (((((prev & 0xffff0000) >>> 16) * 1812433253) << 16) + (prev & 0x0000ffff) * 1812433253 + i) >>> 0;
    }
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < 624; i++) {
      const y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
      mt[i] = mt[(i + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }

  nextUint32(): number {
    if (this.index >= 624) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/** numpy's legacy random_interval(max): a uniform integer in [0, max] (max < 2^32 here). */
function randomInterval(rng: MT19937, max: number): number {
  if (max === 0) return 0;
  let mask = max;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  mask >>>= 0;
  let value: number;
  do value = (rng.nextUint32() & mask) >>> 0;
  while (value > max);
  return value;
}

/** Shuffles `items` in place exactly as np.random.RandomState(seed).shuffle(items) does. */
export function numpyShuffle<T>(items: T[], seed: number): T[] {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer from 0 to 2^32-1, got ${seed}`);
  const rng = new MT19937(seed);
  for (let i = items.length - 1; i >= 1; i--) {
    const j = randomInterval(rng, i);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}
