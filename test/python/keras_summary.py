"""Prints real Keras's model.summary() text for a small Sequential model, as JSON {"text": ...}.

Usage: keras_summary.py NAMES_JSON  (a list of 3 layer names or nulls: Conv2D, Flatten, Dense)
The width comes from $COLUMNS, as in a terminal; $CNN_FORCE_TERMINAL=1 makes rich write its colours.
"""
import io, json, os, sys
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras
from keras import layers

names = json.loads(sys.argv[1])
def named(n):
    return {} if n is None else {"name": n}
model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(4, 3, **named(names[0])), layers.Flatten(**named(names[1])), layers.Dense(10, activation="softmax", **named(names[2]))], name=os.environ.get("CNN_MODEL_NAME", "sequential"))
out = io.StringIO()
if os.environ.get("CNN_FORCE_TERMINAL") == "1":
    import rich.console
    real = rich.console.Console
    rich.console.Console = lambda *a, **k: real(*a, **{**k, "force_terminal": True, "color_system": "256"})
try:
    real_stdout = sys.stdout
    sys.stdout = out
    model.summary()
    sys.stdout = real_stdout
    print(json.dumps({"text": out.getvalue()}))
except Exception as e:
    sys.stdout = real_stdout
    print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
