"""`smopt-convert`: the TPU inference converter's command line.

    smopt-convert --input_model_dir M --output_model_dir O \\
        --converter_options_string 'tpu_functions { function_alias: "tpu_func" }'
"""
from __future__ import annotations

import argparse
import sys

from smopt.tools.smopt import (add_instrumentation_flags, add_model_dir_flags, guarded,
                         instrumentation_from_args, write_reports)


def build_parser():
    ap = argparse.ArgumentParser(prog="smopt-convert", description=__doc__.splitlines()[0])
    add_model_dir_flags(ap, "convert")
    ap.add_argument("--converter_options_string", help="ConverterOptions as a text proto")
    ap.add_argument("--converter_options_file", help="a file holding ConverterOptions as a text proto")
    ap.add_argument("--target", default="tpu", choices=("tpu", "cpu"),
                    help="tpu (default), or cpu: TPU-only ops replaced by CPU equivalents, to check numerics")
    ap.add_argument("--report_json", help="also write the conversion report's figures as JSON here")
    add_instrumentation_flags(ap)
    return ap


def main(argv=None):
    args = build_parser().parse_args(argv)
    return guarded("smopt-convert", args, lambda: _main(args))


def _main(args):
    from smopt.compiler.errors import SmoptError
    from smopt.compiler.options import check_converter_options, read_converter_options

    from smopt.compiler.measure import load_custom_ops
    load_custom_ops(args.custom_op_module, args.custom_op_library)
    opts = read_converter_options(args.converter_options_string, args.converter_options_file)
    check_converter_options(opts)
    if args.print_pipeline:
        from smopt.compiler.convert import build_pipeline
        module = None
        if args.input_model_dir and opts.HasField("external_feature_configs"):
            from smopt.compiler.importer import import_saved_model
            module = import_saved_model(args.input_model_dir)
        print(build_pipeline(opts, args.input_model_dir, module, args.target, args.report_json))
        return 0
    if not args.input_model_dir or not args.output_model_dir:
        raise SmoptError("--input_model_dir and --output_model_dir are required")
    from smopt.compiler.convert import convert
    inst = instrumentation_from_args(args)
    _, pm = convert(args.input_model_dir, args.output_model_dir, opts, args.target, inst,
                    args.report_json, args.overwrite, args.dump_dir, log=sys.stderr)
    write_reports(pm, inst)
    print(f"smopt-convert: wrote {args.output_model_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
