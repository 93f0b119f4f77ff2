/**
 * Number formatting as Python prints it, for text that must match Keras character for character:
 * "{:,}" grouping, "{:.2f}" (round half to even on the exact binary value) and round().
 */

/** 203068 -> "203,068" (Python's f"{n:,}"), independent of the locale. */
export function groupThousands(n: number): string {
  const [int, frac] = String(Math.abs(n)).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${n < 0 ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}

/**
 * Python's "{:.Nf}": the exact value of the float64, rounded to N decimals, exact ties to even.
 * JavaScript's toFixed is exact too except on ties, where it rounds up (408.125 -> "408.13"; Python
 * gives "408.12"). A tie at N decimals means x = odd / 2^(N+1) exactly, i.e. x * 2^(N+1) is an odd
 * integer (scaling by a power of two is exact), so ties are found and settled in BigInt arithmetic.
 */
export function pythonFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const negative = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  const twice = a * 2 ** (digits + 1);
  if (!Number.isSafeInteger(twice) || twice % 2 !== 1) {
    const s = a.toFixed(digits);
    return negative ? `-${s}` : s;
  }
  // a * 10^digits = (twice * 5^digits) / 2, an odd numerator over 2: pick the even neighbour.
  const doubled = BigInt(twice) * 5n ** BigInt(digits);
  const lower = (doubled - 1n) / 2n;
  const scaled = lower % 2n === 0n ? lower : lower + 1n;
  const text = scaled.toString().padStart(digits + 1, '0');
  const s = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return negative ? `-${s}` : s;
}

/** Python 3's round(x) for the halves that matter here (ties to even). */
export function pythonRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
