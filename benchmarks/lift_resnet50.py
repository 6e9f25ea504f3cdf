"""Lift + print a ResNet-50 SavedModel and time it beside TF's own MLIR importer, same run.

    python benchmarks/lift_resnet50.py [--model DIR] [--repeat 5]

Prints best-of-N wall times and the ratio (target: smopt at least 5x faster than
tf.mlir.experimental.convert_saved_model on the same model).
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import best_of, resnet50_export  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="a ResNet-50 SavedModel directory (built if absent)")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    path = resnet50_export(args.model)

    import smopt.ir as ir
    from smopt.compiler.importer import import_saved_model

    pb_size = os.path.getsize(os.path.join(path, "saved_model.pb"))
    from smopt.compiler import tfproto
    data = open(os.path.join(path, "saved_model.pb"), "rb").read()
    t_parse = best_of(args.repeat, lambda: tfproto.SavedModel.FromString(data))
    t_lift = best_of(args.repeat, lambda: import_saved_model(path))
    m = import_saved_model(path)
    t_print = best_of(args.repeat, lambda: ir.print_module(m))
    text = ir.print_module(m)
    t_parse_ir = best_of(args.repeat, lambda: ir.parse_module(text))

    import tensorflow as tf
    t_tf = best_of(max(1, args.repeat // 2),
                   lambda: tf.mlir.experimental.convert_saved_model(path, exported_names="",
                                                                   show_debug_info=False))
    ours = t_lift + t_print
    print(f"model: {path} (saved_model.pb {pb_size / 1e6:.1f} MB, {m.op_count()} ops, "
          f"{len(m.functions)} functions)")
    print(f"  proto parse            {t_parse * 1e3:9.1f} ms")
    print(f"  smopt lift             {t_lift * 1e3:9.1f} ms")
    print(f"  smopt print            {t_print * 1e3:9.1f} ms")
    print(f"  smopt parse IR text    {t_parse_ir * 1e3:9.1f} ms")
    print(f"  smopt lift + print     {ours * 1e3:9.1f} ms")
    print(f"  TF convert_saved_model {t_tf * 1e3:9.1f} ms")
    print(f"  ratio TF / smopt       {t_tf / ours:9.2f}x  (target >= 5x)")


if __name__ == "__main__":
    main()
