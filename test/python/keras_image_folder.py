"""Real Keras's image_dataset_from_directory on a folder, for test/peers/keras-folder.test.ts: its
class names, the files of each subset in Keras's order (file_paths, after the seeded shuffle and the
validation split), and each file's float32 pixels as the dataset's own loader (_load_image_tf) makes them.

usage: keras_image_folder.py DIR OUT_PREFIX JSON_ARGS
Prints one JSON line {"class_names": [...], "subsets": {"training"|"validation"|"all": {"files": [...]}}};
the pixels of a subset go to OUT_PREFIX.<subset>.f32 (NHWC float32, in file order)."""
import json
import os
import sys

import numpy as np
import keras
import tensorflow as tf
from keras.src.utils import image_dataset_utils as idu

directory, prefix, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
if "image_size" in args:
    args["image_size"] = tuple(args["image_size"])
size = args.get("image_size", (256, 256))
channels = {"grayscale": 1, "rgb": 3, "rgba": 4}[args.get("color_mode", "rgb")]
result = {"subsets": {}}
for subset in (["training", "validation"] if args.get("validation_split") else [None]):
    kw = dict(args, subset=subset) if subset else args
    ds = keras.utils.image_dataset_from_directory(directory, batch_size=None, verbose=False, **kw)
    result["class_names"] = ds.class_names
    pixels = [
        idu._load_image_tf(tf.constant(p), size, channels, "bilinear", "channels_last",
                           args.get("crop_to_aspect_ratio", False), args.get("pad_to_aspect_ratio", False)).numpy()
        for p in ds.file_paths
    ]
    name = subset or "all"
    np.asarray(pixels, dtype=np.float32).tofile(f"{prefix}.{name}.f32")
    result["subsets"][name] = {"files": [os.path.relpath(p, directory).replace(os.sep, "/") for p in ds.file_paths]}
print(json.dumps(result))
