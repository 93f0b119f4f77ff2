/** Test-set metrics from class probabilities: accuracy, per-class accuracy, confusion matrix. */

export interface Evaluation {
  loss: number;
  accuracy: number;
  per_class_accuracy: number[];
  confusion: number[][]; // confusion[true][predicted]
  images: number;
}

export function argmaxRow(probs: Float32Array, row: number, classes: number): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let c = 0; c < classes; c++) {
    const v = probs[row * classes + c];
    if (v > bestValue) {
      bestValue = v;
      best = c;
    }
  }
  return best;
}

export function confusionMatrix(probs: Float32Array, labels: Uint8Array, count: number, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < count; i++) {
    const truth = labels[i];
    if (truth < classes) m[truth][argmaxRow(probs, i, classes)] += 1;
  }
  return m;
}

export function perClassAccuracy(confusion: number[][]): number[] {
  return confusion.map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? 0 : row[c] / total;
  });
}

/** The confusion matrix as an aligned text table with class names (true classes down, predicted across). */
export function formatConfusion(confusion: number[][], classNames: string[]): string {
  const names = classNames.map((n, i) => n ?? String(i));
  const nameWidth = Math.max(4, ...names.map((n) => n.length));
  const cellWidth = Math.max(5, ...confusion.flat().map((v) => String(v).length + 1));
  const header = `${'true\\pred'.padEnd(nameWidth)} ${confusion.map((_, c) => String(c).padStart(cellWidth)).join('')}`;
  const rows = confusion.map((row, r) => `${names[r].padEnd(nameWidth)} ${row.map((v) => String(v).padStart(cellWidth)).join('')}`);
  return [header, ...rows].join('\n');
}

/**
 * A running metric as Keras's Mean reports it: total and count are float32 variables and the result is
 * their float32 quotient, which the progress bar then prints as a Python float. Accumulating in float64
 * instead rounds ties differently (63/160 prints "0.3937" in float64, Keras prints "0.3938" because
 * float32(0.39375) is slightly above the tie). Counts stay exact in float32 up to 2^24.
 */
export function kerasMean(total: number, count: number): number {
  return Math.fround(Math.fround(total) / Math.fround(Math.max(1, count)));
}
