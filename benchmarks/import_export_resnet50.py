"""Import + export a ResNet-50 SavedModel with smopt, beside tf.saved_model.load + save, same run.

    python benchmarks/import_export_resnet50.py [--model DIR] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import sys
import shutil
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import best_of, resnet50_export  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="a ResNet-50 SavedModel directory (built if absent)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    path = resnet50_export(args.model)

    import tensorflow as tf
    from smopt.compiler.exporter import export_saved_model
    from smopt.compiler.importer import import_saved_model

    work = tempfile.mkdtemp(prefix="smopt-bench-")
    counter = [0]

    def fresh():
        counter[0] += 1
        return os.path.join(work, f"out{counter[0]}")

    def ours():
        export_saved_model(import_saved_model(path), fresh())

    def theirs():
        tf.saved_model.save(tf.saved_model.load(path), fresh())

    ours()  # warm up lazy imports (TF for the fingerprint) outside the timing
    t_ours = best_of(args.repeat, ours)
    t_tf = best_of(args.repeat, theirs)
    shutil.rmtree(work, ignore_errors=True)
    print(f"model: {path}")
    print(f"  smopt import + export              {t_ours * 1e3:9.1f} ms")
    print(f"  tf.saved_model.load + save         {t_tf * 1e3:9.1f} ms")
    print(f"  ratio TF / smopt                   {t_tf / t_ours:9.2f}x")


if __name__ == "__main__":
    main()
