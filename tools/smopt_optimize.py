"""`smopt-optimize`: the optimized TensorFlow runtime's model optimizer as a command line.

    smopt-optimize --input_model_dir M --output_model_dir O \\
        --allow_precompilation=true --allow_compression=true --target_device cpu

Flags as the runtime's container takes them (`--flag=true|false`, or `--flag` alone for
true): allow_precompilation (XLA auto-clustering, the clusters that pay by measurement, + a
TF Serving warm-up file), allow_compression (per weight pruning, int8 or bfloat16 storage
within --compression_accuracy_budget, measured), disable_optimizer (no optimization at all).
See compiler/optimize.py for the pipeline each combination runs.
"""
from __future__ import annotations

import argparse
import sys

from smopt.tools.smopt import (add_instrumentation_flags, add_model_dir_flags, guarded,
                         instrumentation_from_args, write_reports)

_TRUE = ("true", "1", "yes", "t", "y")
_FALSE = ("false", "0", "no", "f", "n")


def _bool(text):
    t = text.strip().lower()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got '{text}'")


def _sizes(text):
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got '{text}'") from None


def build_parser():
    ap = argparse.ArgumentParser(prog="smopt-optimize", description=__doc__.splitlines()[0])
    add_model_dir_flags(ap, "optimize")
    for name, help_ in (("allow_precompilation", "XLA precompilation: auto-cluster the graph into XLA "
                                                 "kernels and write a warm-up file (default false)"),
                        ("allow_compression", "model compression: weight pruning, int8 and bfloat16 "
                                              "weights, chosen per weight within "
                                              "--compression_accuracy_budget (default false)"),
                        ("disable_optimizer", "run no optimization at all (default false)")):
        ap.add_argument(f"--{name}", type=_bool, nargs="?", const=True, default=False, metavar="BOOL", help=help_)
    ap.add_argument("--target_device", default="cpu", choices=("cpu", "gpu", "tpu"),
                    help="the device the XLA clusters compile for (default cpu); tpu: partition the "
                         "model for the TPU automatically and convert it (see compiler/optimize.py)")
    ap.add_argument("--target", choices=("tpu", "cpu"), default=None,
                    help="with --target_device tpu: tpu (default), or cpu: plain calls instead of TPU "
                         "call stubs, a CPU-runnable variant to check numerics")
    ap.add_argument("--warmup_batch_sizes", type=_sizes, default=[1, 8], metavar="N,N,...",
                    help="batch sizes of the warm-up requests written with precompilation (default 1,8; "
                         "empty: no warm-up file)")
    ap.add_argument("--compression_accuracy_budget", type=float, default=None, metavar="X",
                    help="with compression: the largest output change allowed, max-abs change / max-abs "
                         "output on the sample inputs (default 0.01); weights are compressed only as far "
                         "as this holds")
    ap.add_argument("--sample_inputs", metavar="FILE", default=None,
                    help="inputs for the measurements and warm-up requests: an .npz of the signature's "
                         "inputs (examples along the first axis) or a TFRecord of RepresentativeDataSample "
                         "(default: generated from the signature)")
    ap.add_argument("--report_json", metavar="FILE", default=None,
                    help="write the measured decisions (compression, precompilation) and the pipeline as JSON")
    ap.add_argument("--use_tfrt", type=_bool, nargs="?", const=True, default=None, metavar="BOOL",
                    help="accepted for compatibility with the runtime's flags; a serving setting that "
                         "does not change the model")
    add_instrumentation_flags(ap)
    return ap


def main(argv=None):
    args = build_parser().parse_args(argv)
    return guarded("smopt-optimize", args, lambda: _main(args))


def _main(args):
    from smopt.compiler.errors import SmoptError
    from smopt.compiler.optimize import optimize, optimize_pipeline

    from smopt.compiler.measure import load_custom_ops
    load_custom_ops(args.custom_op_module, args.custom_op_library)
    if args.target is not None and args.target_device != "tpu":
        raise SmoptError("--target applies to --target_device tpu only")
    target = args.target or "tpu"
    if args.print_pipeline:
        print(optimize_pipeline(args.allow_precompilation, args.allow_compression,
                                args.disable_optimizer, args.target_device, target))
        return 0
    if not args.input_model_dir or not args.output_model_dir:
        raise SmoptError("--input_model_dir and --output_model_dir are required")
    inst = instrumentation_from_args(args)
    if args.report_json:
        from smopt.compiler.model_io import check_output_file
        check_output_file(args.report_json, "--report_json")
    report = {}
    _, pm, reqs = optimize(args.input_model_dir, args.output_model_dir, args.allow_precompilation,
                           args.allow_compression, args.disable_optimizer, args.target_device,
                           args.warmup_batch_sizes, inst, args.overwrite, args.dump_dir, log=sys.stderr,
                           target=target, compression_accuracy_budget=args.compression_accuracy_budget,
                           sample_inputs=args.sample_inputs, report=report)
    write_reports(pm, inst)
    _print_decisions(report, args.report_json)
    if reqs:
        sigs = sorted({r[0] for r in reqs})
        print(f"smopt-optimize: wrote {len(reqs)} warm-up requests (batch sizes "
              f"{','.join(str(b) for b in args.warmup_batch_sizes)}; signatures {', '.join(sigs)})",
              file=sys.stderr)
    print(f"smopt-optimize: wrote {args.output_model_dir}", file=sys.stderr)
    return 0


def _print_decisions(report, path):
    """The measured decisions as tables on stderr, and as JSON in `path`."""
    import json
    from smopt.compiler import compression, precompilation
    for sig, why in sorted(report.get("unmeasured_signatures", {}).items()):
        print(f"smopt-optimize: signature '{sig}' left out of the measurements: the generated sample "
              f"inputs fail on it ({why}); pass --sample_inputs", file=sys.stderr)
    if "compression" in report:
        sys.stderr.write(compression.format_report(report["compression"]))
    if "precompilation" in report:
        sys.stderr.write(precompilation.format_report(report["precompilation"]))
    for sig, why in sorted(report.get("warmup_skipped", {}).items()):
        print(f"smopt-optimize: no warm-up requests for signature '{sig}': the default inputs fail on it "
              f"({why}); pass --sample_inputs", file=sys.stderr)
    if path:
        with open(path, "w") as f:
            json.dump(report, f, indent=1, sort_keys=True, default=float)
            f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
