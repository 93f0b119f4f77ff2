"""Real-Keras side of test/65.keras*.test.ts. Inputs and outputs are raw little-endian float32 files.

  keras_check.py load MODEL.keras IMAGES.f32 N OUT.f32 [FIT_LABELS.f32]
      load_model, predict N images (N x model input shape) into OUT.f32; with FIT_LABELS, then run one
      model.fit epoch of 2 batches on those images from the saved optimizer state.
      Prints JSON {summaries: {columns: text} for each width in $SUMMARY_COLUMNS, iterations_loaded, iterations_after_fit, fit_loss, optimizer, input_shape}.
  keras_check.py step MODEL.keras IMAGES.f32 N LABELS.f32 OUT.f32
      one model.train_on_batch on the N images from the saved optimizer state; writes every weight
      after it (model.weights, concatenated). Prints JSON {loss, iterations}.
  keras_check.py build KIND OUT.keras IMAGES.f32 N LABELS.f32 PRED.f32
      builds a model of KIND in Keras, trains it a few steps on the images, saves it with model.save,
      predicts the images (raw pixels) into PRED.f32. Prints JSON {layers}.
Summaries are sized as Keras sizes them for a terminal that wide ($COLUMNS).
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers as L  # noqa: E402


def read(path, shape):
    return np.fromfile(path, dtype="<f4").reshape(shape)


def summary_text(model, columns):
    # Keras sizes the table from the terminal width, which Python reads from $COLUMNS.
    os.environ["COLUMNS"] = str(columns)
    lines = []
    model.summary(print_fn=lambda line, **_: lines.append(line))
    return "\n".join(lines)


def load(model_path, images_path, n, out_path, labels_path=None):
    model = keras.models.load_model(model_path)
    shape = [n] + list(model.input_shape[1:])
    x = read(images_path, shape)
    pred = model.predict(x, batch_size=50, verbose=0).astype("<f4")
    pred.tofile(out_path)
    result = {
        "summaries": {c: summary_text(model, c) for c in os.environ.get("SUMMARY_COLUMNS", "80").split(",")},
        "input_shape": list(model.input_shape[1:]),
        "optimizer": type(model.optimizer).__name__,
        "iterations_loaded": int(model.optimizer.iterations.numpy()),
    }
    if labels_path:
        y = read(labels_path, [n, pred.shape[-1]])
        if model.loss == "sparse_categorical_crossentropy":
            y = y.argmax(axis=1)
        history = model.fit(x[:64], y[:64], batch_size=32, epochs=1, verbose=0, shuffle=False)
        result["iterations_after_fit"] = int(model.optimizer.iterations.numpy())
        result["fit_loss"] = float(history.history["loss"][0])
    print(json.dumps(result))


def step(model_path, images_path, n, labels_path, out_path):
    """One model.train_on_batch from the saved state; every weight after it, layer by layer."""
    model = keras.models.load_model(model_path)
    x = read(images_path, [n] + list(model.input_shape[1:]))
    y = read(labels_path, [n, model.output_shape[-1]])
    if model.loss == "sparse_categorical_crossentropy":
        y = y.argmax(axis=1)
    loss = model.train_on_batch(x, y, return_dict=True)["loss"]
    np.concatenate([np.asarray(w.numpy(), dtype="<f4").ravel() for w in model.weights]).tofile(out_path)
    print(json.dumps({"loss": float(loss), "iterations": int(model.optimizer.iterations.numpy())}))


def build_model(kind):
    if kind == "tutorial":
        # The Keras tutorials' MNIST convnet: raw pixels in, Rescaling first.
        return keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                L.Rescaling(1.0 / 255),
                L.Conv2D(8, 3, activation="relu"),
                L.MaxPooling2D(2),
                L.Conv2D(8, 3, activation="relu", padding="same"),
                L.MaxPooling2D(2),
                L.Flatten(),
                L.Dropout(0.5),
                L.Dense(10, activation="softmax"),
            ],
            name="tutorial",
        ), keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy"
    if kind == "plain":
        # No dropout, so a training step is deterministic and can be compared with cnn's.
        return keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                L.Rescaling(1.0 / 255),
                L.Conv2D(4, 3, activation="relu"),
                L.BatchNormalization(),
                L.MaxPooling2D(2),
                L.Flatten(),
                L.Dense(10, activation="softmax"),
            ],
            name="plain",
        ), keras.optimizers.Adam(1e-3, amsgrad=True), "sparse_categorical_crossentropy"
    if kind == "everything":
        return keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                L.Rescaling(1.0 / 255),
                L.Conv2D(4, 3, padding="same", activation="relu", name="conv_same"),
                L.BatchNormalization(name="bn_image"),
                L.Conv2D(5, 3, dilation_rate=2, activation="swish"),
                L.MaxPooling2D(3, strides=2, padding="same"),
                L.Conv2D(6, (3, 2), strides=(2, 1), padding="same", activation="gelu"),
                L.Activation("elu"),
                L.ReLU(),
                L.AveragePooling2D(2),
                L.Conv2D(3, 1, activation="leaky_relu", use_bias=False),
                L.LeakyReLU(negative_slope=0.2),
                L.Activation("sigmoid"),
                L.Conv2D(4, 1, activation="tanh"),
                L.GlobalAveragePooling2D(),
                L.Dense(16, activation="softplus"),
                L.Dropout(0.25),
                L.BatchNormalization(center=False),
                L.Dense(12, activation="silu"),
                L.Dense(11, activation="linear"),
                L.Dense(10, activation="softmax"),
            ],
            name="everything",
        ), keras.optimizers.RMSprop(1e-2, momentum=0.5, centered=True), "categorical_crossentropy"
    raise SystemExit(f"unknown kind {kind}")


def build(kind, out_path, images_path, n, labels_path, pred_path):
    keras.utils.set_random_seed(1)
    model, optimizer, loss = build_model(kind)
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    x = read(images_path, [n, 28, 28, 1])
    y = read(labels_path, [n, 10])
    model.fit(x, y.argmax(axis=1) if loss.startswith("sparse") else y, batch_size=20, epochs=3, verbose=0)
    model.save(out_path)
    model.predict(x, batch_size=50, verbose=0).astype("<f4").tofile(pred_path)
    print(json.dumps({"layers": [layer.__class__.__name__ for layer in model.layers]}))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "load":
        load(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6] if len(sys.argv) > 6 else None)
    elif cmd == "step":
        step(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6])
    elif cmd == "build":
        build(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6], sys.argv[7])
    else:
        raise SystemExit(f"unknown command {cmd}")
