/**
 * The training progress line of Keras's fit(verbose=1), character for character:
 *
 *   Epoch 3/10
 *   1875/1875 ━━━━━━━━━━━━━━━━━━━━ 5s 2ms/step - accuracy: 0.9123 - loss: 0.2871
 *
 * Behaviour taken from keras/src/utils/progbar.py (Keras 3), reimplemented:
 * - the counter is right-aligned to the total's digits; the bar is 20 x U+2501 with int(20*step/total)
 *   done cells; while running an ETA (Ns, m:ss past 60 s, h:mm:ss past an hour, truncated), when
 *   finished the elapsed seconds (%.0f); then the time per step (Ns, Nms or Nus, %.0f) averaged
 *   over the steps after the first one;
 * - metrics in alphabetical order, %.4f, or %.4e when |v| <= 1e-3 (Keras tests |v| > 1e-3 for %.4f,
 *   so 0 prints as 0.0000e+00); Python's formatting (round half to even on the exact binary value);
 * - Keras averages the values it is given across updates (each weighted by the steps since the
 *   previous update), and shows the values given to the final update as they are. fit() passes
 *   running means, so the final line shows the epoch means; this class does the same averaging.
 * - redrawn in place with \r at most every 0.05 s, padded with spaces over a longer previous line.
 *
 * Differences, on purpose: colour (bold counter and time, green done cells, grey rest) only when
 * colour is on (a terminal by default); piped (not a TTY), only the final line of each epoch is
 * printed, where Keras would also write every intermediate redraw.
 */

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressLineOptions {
  /** Steps in an epoch; 0 or undefined when unknown (prints "      7/Unknown"). */
  total?: number;
  stream?: ProgressStream;
  /** Clock in milliseconds (default performance.now); tests inject one. */
  now?: () => number;
  /** ANSI colours and bold; default: the stream is a TTY and NO_COLOR is unset. */
  color?: boolean;
  /** Redraw in place with \r; default: the stream is a TTY. Otherwise only final lines are written. */
  dynamic?: boolean;
  /** Minimum seconds between redraws (Keras: 0.05). */
  interval?: number;
}

const BAR_WIDTH = 20;
const BAR_CHAR = '\u2501';
const BOLD = '\x1b[1m';
const GREEN = '\x1b[32m';
const GREY = '\x1b[37m';
const RESET = '\x1b[0m';

export class ProgressLine {
  private readonly stream: ProgressStream;
  private readonly clock: () => number;
  private readonly color: boolean;
  private readonly dynamic: boolean;
  private readonly interval: number;
  private total: number;
  private start = 0;
  private lastDraw = -Infinity;
  private timeAfterFirstStep: number | undefined;
  private seen = 0;
  private previousWidth = 0;
  private lineOpen = false;
  private readonly sums = new Map<string, [number, number]>();

  constructor(options: ProgressLineOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    this.clock = options.now ?? (() => performance.now());
    const tty = Boolean(this.stream.isTTY);
    this.color = options.color ?? (tty && process.env.NO_COLOR === undefined);
    this.dynamic = options.dynamic ?? tty;
    this.interval = options.interval ?? 0.05;
    this.total = options.total ?? 0;
    this.reset();
  }

  /** Starts a new epoch: restarts the clock and the averages, and prints "Epoch 3/10" when epochs > 1. */
  epochHeader(epoch: number, epochs: number, total = this.total): void {
    this.closeLine();
    this.total = total;
    this.reset();
    const header = formatEpochHeader(epoch, epochs);
    if (header) this.stream.write(`${header}\n`);
  }

  /** Forgets the epoch so far; the clock restarts now. */
  reset(): void {
    this.start = this.clock();
    this.lastDraw = -Infinity;
    this.timeAfterFirstStep = undefined;
    this.seen = 0;
    this.previousWidth = 0;
    this.sums.clear();
  }

  /** After step `step` (1-based) with the running metrics; redraws when due. */
  update(step: number, metrics: Record<string, number> = {}): void {
    this.advance(step, metrics, false);
  }

  /** Ends the epoch with its final metrics (shown as given) and a newline. */
  finish(metrics: Record<string, number> = {}): void {
    this.advance(this.total > 0 ? this.total : this.seen, metrics, true);
  }

  /** Moves off a partly drawn line (before an error message or on Ctrl-C). */
  interrupt(): void {
    this.closeLine();
  }

  private advance(step: number, metrics: Record<string, number>, finalize: boolean): void {
    for (const [name, value] of Object.entries(metrics)) {
      const sum = this.sums.get(name);
      const weight = Math.max(step - this.seen, 1);
      if (finalize || !sum) this.sums.set(name, finalize ? [value, 1] : [value * weight, weight]);
      else {
        sum[0] += value * weight;
        sum[1] += weight;
      }
    }
    this.seen = step;
    const now = this.clock();
    const perStep = this.estimateStepSeconds(step, now);
    if (!finalize && (!this.dynamic || (now - this.lastDraw) / 1000 < this.interval)) return;
    this.draw(step, perStep, (now - this.start) / 1000, finalize);
    this.lastDraw = now;
  }

  /** Seconds per step, leaving out the first step (often slow: allocation, warm-up). */
  private estimateStepSeconds(step: number, now: number): number {
    if (!step) return 0;
    const perStep =
      this.timeAfterFirstStep !== undefined && step > 1
        ? (now - this.timeAfterFirstStep) / 1000 / (step - 1)
        : (now - this.start) / 1000 / step;
    if (step === 1) this.timeAfterFirstStep = now;
    return perStep;
  }

  private draw(step: number, perStep: number, elapsed: number, finalize: boolean): void {
    const means: Record<string, number> = {};
    for (const [name, [sum, count]] of this.sums) means[name] = sum / Math.max(1, count);
    const parts = formatProgressParts({ step, total: this.total, perStep, elapsed, finished: finalize, metrics: means });
    const plain = joinParts(parts);
    let line = plain;
    if (this.color) {
      line = `${BOLD}${parts.counter}${RESET}`;
      if (this.total > 0) {
        line += ' ';
        if (parts.bar.done) line += `${GREEN}${parts.bar.done}${RESET}`;
        line += `${GREY}${parts.bar.rest}${RESET}`;
      }
      line += ` ${BOLD}${parts.time}${RESET}${parts.rest}`;
    }
    const width = [...plain].length;
    let text = this.dynamic ? '\r' + line : line;
    if (this.dynamic && this.previousWidth > width) text += ' '.repeat(this.previousWidth - width);
    if (finalize) text += '\n';
    this.stream.write(text);
    this.previousWidth = width;
    this.lineOpen = this.dynamic && !finalize;
  }

  private closeLine(): void {
    if (this.lineOpen) this.stream.write('\n');
    this.lineOpen = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Formatting, exported for tests and for other Keras-style output.

/** "Epoch 3/10", or '' for a single epoch (Keras prints no header then). */
export function formatEpochHeader(epoch: number, epochs: number): string {
  return epochs > 1 ? `Epoch ${epoch}/${epochs}` : '';
}

export interface ProgressParts {
  counter: string;
  bar: { done: string; rest: string };
  /** The ETA while running, the elapsed seconds when finished. */
  time: string;
  /** " 2ms/step - accuracy: 0.9123 - loss: 0.2871" */
  rest: string;
}

export function formatProgressParts(p: {
  step: number;
  total: number;
  perStep: number;
  elapsed: number;
  finished: boolean;
  metrics: Record<string, number>;
}): ProgressParts {
  let counter: string;
  let done = '';
  let rest = '';
  if (p.total > 0) {
    counter = `${String(p.step).padStart(String(p.total).length)}/${p.total}`;
    const cells = Math.max(0, Math.min(BAR_WIDTH, Math.trunc((BAR_WIDTH * p.step) / p.total)));
    done = BAR_CHAR.repeat(cells);
    rest = BAR_CHAR.repeat(BAR_WIDTH - cells);
  } else {
    counter = `${String(p.step).padStart(7)}/Unknown`;
  }
  const time = p.total > 0 && !p.finished ? formatEta(p.perStep * (p.total - p.step)) : `${pyFixed(p.elapsed, 0)}s`;
  return { counter, bar: { done, rest }, time, rest: formatStepTime(p.perStep) + formatMetrics(p.metrics) };
}

/** The whole uncoloured line, e.g. "1875/1875 ━━━━━━━━━━━━━━━━━━━━ 5s 2ms/step - loss: 0.2871". */
export function formatProgressLine(p: Parameters<typeof formatProgressParts>[0]): string {
  return joinParts(formatProgressParts(p));
}

function joinParts(parts: ProgressParts): string {
  const bar = parts.bar.done + parts.bar.rest;
  // Keras: "   5/1875 ━━━ 3s ..." with a bar, "      7/Unknown 3s ..." without one.
  return `${parts.counter}${bar ? ' ' + bar : ''} ${parts.time}${parts.rest}`;
}

/** Keras's ETA: "45s", "2:05" past 60 s, "1:02:03" past an hour (whole seconds, truncated). */
export function formatEta(seconds: number): string {
  const eta = Math.max(0, seconds);
  const two = (n: number) => String(Math.trunc(n)).padStart(2, '0');
  if (eta > 3600) return `${Math.floor(eta / 3600)}:${two((eta % 3600) / 60)}:${two(eta % 60)}`;
  if (eta > 60) return `${Math.floor(eta / 60)}:${two(eta % 60)}`;
  return `${Math.trunc(eta)}s`;
}

/** " 2ms/step": seconds when >= 1 s (or exactly 0), milliseconds down to 1 ms, else microseconds. */
export function formatStepTime(secondsPerStep: number, unit = 'step'): string {
  const t = secondsPerStep;
  if (t >= 1 || t === 0) return ` ${pyFixed(t, 0)}s/${unit}`;
  if (t >= 1e-3) return ` ${pyFixed(t * 1000, 0)}ms/${unit}`;
  return ` ${pyFixed(t * 1e6, 0)}us/${unit}`;
}

/** " - accuracy: 0.9123 - loss: 0.2871", names in alphabetical order. */
export function formatMetrics(metrics: Record<string, number>): string {
  return Object.keys(metrics)
    .sort()
    .map((name) => ` - ${name}: ${formatMetricValue(metrics[name])}`)
    .join('');
}

/** Keras: %.4f when |v| > 1e-3, otherwise %.4e. */
export function formatMetricValue(v: number): string {
  return Math.abs(v) > 1e-3 ? pyFixed(v, 4) : pyExp(v, 4);
}

/** Python's f"{x:.{digits}f}": exact binary value rounded half to even; "nan", "inf", "-0.0000". */
export function pyFixed(x: number, digits: number): string {
  const special = pySpecial(x);
  if (special) return special;
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const k = roundScaled(Math.abs(x), digits).toString();
  if (digits === 0) return sign + k;
  const padded = k.padStart(digits + 1, '0');
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

/** Python's f"{x:.{digits}e}": "5.0000e-04", "1.2346e+05", "0.0000e+00". */
export function pyExp(x: number, digits: number): string {
  const special = pySpecial(x);
  if (special) return special;
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const a = Math.abs(x);
  let exponent = 0;
  let mantissa = 0n;
  if (a !== 0) {
    exponent = Math.floor(Math.log10(a));
    // log10 can be off by one near powers of ten; settle on the exponent that gives d+1 digits.
    for (;;) {
      mantissa = roundScaled(a, digits - exponent);
      if (mantissa >= 10n ** BigInt(digits + 1)) exponent += 1;
      else if (mantissa < 10n ** BigInt(digits)) exponent -= 1;
      else break;
    }
  }
  const m = mantissa.toString().padStart(digits + 1, '0');
  const body = digits > 0 ? `${m[0]}.${m.slice(1)}` : m;
  const e = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return `${sign}${body}e${e}`;
}

function pySpecial(x: number): string | undefined {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return undefined;
}

/** round_half_even(a * 10^power) for a finite a >= 0, computed exactly with BigInt. */
function roundScaled(a: number, power: number): bigint {
  const { mantissa, exponent2 } = decompose(a);
  let num = mantissa;
  let den = 1n;
  if (exponent2 >= 0) num <<= BigInt(exponent2);
  else den <<= BigInt(-exponent2);
  if (power >= 0) num *= 10n ** BigInt(power);
  else den *= 10n ** BigInt(-power);
  const q = num / den;
  const twice = (num % den) * 2n;
  if (twice > den || (twice === den && q % 2n === 1n)) return q + 1n;
  return q;
}

/** a = mantissa * 2^exponent2 exactly. */
function decompose(a: number): { mantissa: bigint; exponent2: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, a);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  return biased === 0
    ? { mantissa: fraction, exponent2: -1074 }
    : { mantissa: fraction | (1n << 52n), exponent2: biased - 1075 };
}
