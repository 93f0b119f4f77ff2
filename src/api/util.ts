/** Small helpers for predict's output. */
import type { Prediction } from './model.js';

/** The most probable class of each row of a prediction. */
export function argMax(prediction: Prediction): Int32Array {
  const [rows, classes] = prediction.shape;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (prediction.data[r * classes + c] > prediction.data[r * classes + best]) best = c;
    out[r] = best;
  }
  return out;
}
