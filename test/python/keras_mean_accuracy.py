"""Prints, as JSON, what Keras's progress bar shows for accuracy with `correct` right of `n`.

Usage: keras_mean_accuracy.py N STEP  -> {"n": N, "printed": {"k": "0.3938", ...}} for k = 0, STEP, ... N
(and N itself). The value goes through keras.metrics.Mean (float32 total and count) and float(), then
"{:.4f}" (or "{:.4e}" when |v| <= 1e-3), as keras/src/utils/progbar.py formats it.
"""
import json, os, sys
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import numpy as np
import keras

n, step = int(sys.argv[1]), int(sys.argv[2])
printed = {}
for k in list(range(0, n + 1, step)) + [n]:
    m = keras.metrics.Mean()
    m.update_state(np.concatenate([np.ones(k, "float32"), np.zeros(n - k, "float32")]))
    v = float(keras.ops.convert_to_numpy(m.result()))
    printed[str(k)] = f"{v:.4f}" if abs(v) > 1e-3 else f"{v:.4e}"
print(json.dumps({"n": n, "keras": keras.__version__, "printed": printed}))
