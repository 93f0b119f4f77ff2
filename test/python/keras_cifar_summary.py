"""Real-Keras side of test/peers/keras-colour.test.ts: the TensorFlow CIFAR-10 tutorial's CNN, built
as the tutorial builds it (the last Dense gives logits), and its model.summary() at each width in
$SUMMARY_COLUMNS. Prints JSON {summaries: {columns: text}, params}.
"""
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
from keras import layers  # noqa: E402
from keras_check import summary_text  # noqa: E402

model = keras.models.Sequential()
model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(32, 32, 3)))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation="relu"))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation="relu"))
model.add(layers.Flatten())
model.add(layers.Dense(64, activation="relu"))
model.add(layers.Dense(10))
print(json.dumps({
    "summaries": {c: summary_text(model, c) for c in os.environ.get("SUMMARY_COLUMNS", "80").split(",")},
    "params": model.count_params(),
}))
