"""Reads a TensorBoard log folder with TensorBoard's own reader and prints what it found as JSON.

Usage: read_tensorboard.py LOGDIR
Prints {"runs": {run: {"scalars": {tag: [[step, value], ...]}, "histograms": {tag: [[step, rows]]},
"images": {tag: [[step, width, height, [png sizes]]]}, "text": {tag: [[step, text]]}, "other": [tags]}}}
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from tensorboard.backend.event_processing import event_accumulator as ea  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402


def read_run(path):
    acc = ea.EventAccumulator(path, size_guidance={ea.TENSORS: 0})
    acc.Reload()
    out = {"scalars": {}, "histograms": {}, "images": {}, "text": {}, "other": []}
    for tag in acc.Tags()["tensors"]:
        plugin = acc.SummaryMetadata(tag).plugin_data.plugin_name
        events = acc.Tensors(tag)
        if plugin == "scalars":
            out["scalars"][tag] = [[e.step, float(tensor_util.make_ndarray(e.tensor_proto))] for e in events]
        elif plugin == "histograms":
            out["histograms"][tag] = [[e.step, tensor_util.make_ndarray(e.tensor_proto).tolist()] for e in events]
        elif plugin == "images":
            rows = []
            for e in events:
                a = tensor_util.make_ndarray(e.tensor_proto)
                rows.append([e.step, int(a[0]), int(a[1]), [len(p) for p in a[2:]]])
                for p in a[2:]:
                    assert p[:8] == b"\x89PNG\r\n\x1a\n", tag
            out["images"][tag] = rows
        elif plugin == "text":
            out["text"][tag] = [[e.step, tensor_util.make_ndarray(e.tensor_proto).item().decode()] for e in events]
        else:
            out["other"].append([tag, plugin])
    return out


def main():
    logdir = sys.argv[1]
    runs = {name: read_run(os.path.join(logdir, name)) for name in sorted(os.listdir(logdir)) if os.path.isdir(os.path.join(logdir, name))}
    print(json.dumps({"runs": runs}))


if __name__ == "__main__":
    main()
