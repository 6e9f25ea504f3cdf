"""`smopt`: the mlir-opt of smopt. SavedModel directory or IR text in, pipeline, IR text out.

    smopt model_dir -p 'canonicalize,cse,dce' -o out.mlir --print-ir-after-change --timing
"""
from __future__ import annotations

import argparse
import os
import sys
import time

USAGE_EPILOG = "Pipelines: -p 'dce,cse,inline{max-depth=2}'. See --list-passes."


# ---- the error contract shared by smopt, smopt-convert and smopt-optimize ------------------
def debug_enabled(args):
    """--debug or SMOPT_DEBUG=1: show tracebacks of internal errors and TensorFlow's logs."""
    return bool(getattr(args, "debug", False)) or os.environ.get("SMOPT_DEBUG", "") not in ("", "0")


class _QuietImport:
    """Import TensorFlow (lazily, wherever compiler/ first imports it) with its C++ and absl
    log lines silenced: they arrive through file descriptor 2 during the import (oneDNN
    notices, absl's pre-initialisation warning) and would precede a one-line error."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        import importlib.util
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        real = spec.loader.exec_module

        def exec_module(module):
            sys.stderr.flush()
            saved = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 2)
                real(module)
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                os.close(devnull)
            import logging
            logging.getLogger("tensorflow").setLevel(logging.ERROR)
            try:
                import absl.logging
                absl.logging.set_verbosity(absl.logging.ERROR)
            except ImportError:
                pass

        spec.loader.exec_module = exec_module
        return spec


def quiet_tensorflow(debug=False):
    """Keep TensorFlow's and absl's log lines off stderr (unless --debug)."""
    if debug or "tensorflow" in sys.modules:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    if not any(isinstance(f, _QuietImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietImport())


def guarded(tool, args, body):
    """Run `body()` under the CLI error contract: an error is one line `<tool>: error: ...`
    (`file:line:col: error: ...` for IR text) and exit status 1; an internal error (a bug in
    smopt) is one line too, exit status 2, with the full traceback under --debug."""
    import traceback
    debug = debug_enabled(args)
    quiet_tensorflow(debug)
    from smopt.compiler.errors import SmoptError
    from smopt.ir import ParseError, VerificationError
    from smopt.passes.framework.registry import PipelineError
    try:
        return body()
    except (ParseError, VerificationError) as e:
        if debug:
            traceback.print_exc()
        print(str(e).splitlines()[0], file=sys.stderr)
        return 1
    except (SmoptError, PipelineError) as e:
        if debug:
            sys.stderr.write(getattr(e, "traceback", None) or traceback.format_exc())
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        print(f"{tool}: error: {msg}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1
    except KeyboardInterrupt:
        print(f"{tool}: error: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug in smopt: still one line, the traceback on request
        if debug:
            traceback.print_exc()
        msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
        hint = "" if debug else " (rerun with --debug for the traceback)"
        print(f"{tool}: error: internal error: {type(e).__name__}{': ' + msg if msg else ''}{hint}",
              file=sys.stderr)
        return 2


def add_model_dir_flags(ap, verb):
    """The SavedModel-in, SavedModel-out flags shared by smopt-convert and smopt-optimize."""
    ap.add_argument("--input_model_dir", help=f"the TF2 SavedModel to {verb} (never modified)")
    ap.add_argument("--output_model_dir", help=f"where the {verb}d SavedModel goes (missing or empty)")
    ap.add_argument("--dump_dir", help="write the IR before and after every pass as numbered files "
                                       "here, and graphs (DOT; SVG where Graphviz's dot is installed) "
                                       "under graphs/")
    ap.add_argument("--overwrite", action="store_true", help="replace a non-empty output directory")
    ap.add_argument("--print_pipeline", action="store_true",
                    help="print the pass pipeline these options give (as smopt -p text) and exit")
    # Lifting and exporting need no op registration (custom ops come from the SavedModel's
    # stripped_op_list); running the model in TensorFlow (precompilation and compression
    # timing, calibration, warm-up checks) needs its op kernels registered first.
    ap.add_argument("--custom_op_module", action="append", default=[], metavar="MODULE",
                    help="a Python module to import before TensorFlow runs the model, for the custom "
                         "ops it registers (e.g. tensorflow_text); repeatable")
    ap.add_argument("--custom_op_library", action="append", default=[], metavar="FILE",
                    help="a custom op library (.so) to load with tf.load_op_library before TensorFlow "
                         "runs the model; repeatable")


def write_reports(pm, inst):
    """Timing and statistics reports on stderr, as requested."""
    if inst.timing:
        sys.stderr.write(pm.timing_report())
    if inst.statistics:
        sys.stderr.write(pm.statistics_report())


def _count(text):
    """argparse type: a non-negative integer."""
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got '{text}'")
    return n


def add_instrumentation_flags(ap):
    """The instrumentation flags shared by smopt and smopt-convert."""
    g = ap.add_argument_group("instrumentation")
    g.add_argument("--print-ir-before", metavar="PASSES", default="",
                   help="print the IR before these passes (comma-separated names)")
    g.add_argument("--print-ir-after", metavar="PASSES", default="",
                   help="print the IR after these passes (comma-separated names)")
    g.add_argument("--print-ir-before-all", action="store_true", help="print the IR before every pass")
    g.add_argument("--print-ir-after-all", action="store_true", help="print the IR after every pass")
    g.add_argument("--print-ir-after-change", action="store_true",
                   help="with --print-ir-after*, print only when the pass changed the IR")
    g.add_argument("--print-ir-after-failure", action="store_true", help="print the IR after a failed pass")
    g.add_argument("--print-ir-tree-dir", metavar="DIR",
                   help="write IR dumps as numbered files into DIR instead of stderr")
    g.add_argument("--print-ir-function", metavar="REGEX", action="append",
                   help="dump only the functions whose name matches REGEX (re.search; the main "
                        "graph is __graph__), for every print flag and --print-ir-tree-dir; repeatable")
    g.add_argument("--print-changed", metavar="MODE", nargs="?", const="full", default=None,
                   choices=("full", "quiet", "diff", "diff-quiet"),
                   help="print the IR after each pass that changed it (LLVM's -print-changed); "
                        "MODE: full (default), diff (a unified diff of each change), quiet or "
                        "diff-quiet (without the input IR and the 'no change' lines)")
    g.add_argument("--timing", "--mlir-timing", action="store_true", dest="timing",
                   help="print a per-pass wall-time report")
    g.add_argument("--pass-statistics", action="store_true", help="print the counters each pass keeps")
    g.add_argument("--verify-each", dest="verify_each", action="store_true", default=True,
                   help="verify the IR after every pass (default)")
    g.add_argument("--no-verify-each", dest="verify_each", action="store_false",
                   help="do not verify after every pass")
    g.add_argument("--reproducer", metavar="FILE",
                   help="when a pass fails, write the IR before it and the pipeline to FILE")
    g.add_argument("--elide-constants-larger-than", type=int, metavar="N",
                   help="print constants with more than N elements as dense_resource<__elided__>")
    g.add_argument("--elide-operands-larger-than", type=_count, metavar="N",
                   help="print operand, argument, result and type lists and list attributes longer "
                        "than N as their first N entries and '... K more' (for reading: does not "
                        "parse back)")
    g.add_argument("--debug", action="store_true",
                   help="on an internal error print the full traceback, and keep TensorFlow's log "
                        "lines (also SMOPT_DEBUG=1)")


def instrumentation_from_args(args, progress=False):
    from smopt.compiler.pass_manager import Instrumentation

    for regex in args.print_ir_function or ():  # each one named in its own error
        Instrumentation(function_filter=regex).function_predicate()

    def names(s):
        return {x.strip() for x in s.split(",") if x.strip()}

    inst = Instrumentation(
        print_before=names(args.print_ir_before), print_after=names(args.print_ir_after),
        print_before_all=args.print_ir_before_all, print_after_all=args.print_ir_after_all,
        print_after_change=False, print_after_failure=args.print_ir_after_failure,
        tree_dir=args.print_ir_tree_dir, timing=args.timing, statistics=args.pass_statistics,
        verify_each=args.verify_each, reproducer=args.reproducer,
        elide=args.elide_constants_larger_than, elide_operands=args.elide_operands_larger_than,
        progress=progress, print_changed=args.print_changed,
        function_filter=None if not args.print_ir_function else args.print_ir_function[0]
        if len(args.print_ir_function) == 1 else "|".join(f"(?:{r})" for r in args.print_ir_function))
    if args.print_ir_after_change:
        # mlir-opt: --print-ir-after-change narrows --print-ir-after(-all); alone it means all.
        inst.print_after_change = True
        if not inst.print_after and not inst.print_after_all:
            inst.print_after_all = True
    if inst.tree_dir and not (inst.print_before or inst.print_after or inst.print_before_all
                              or inst.print_after_all or inst.print_changed):
        inst.print_after_all = True
    return inst


def build_parser():
    ap = argparse.ArgumentParser(prog="smopt", description=__doc__.splitlines()[0], epilog=USAGE_EPILOG)
    ap.add_argument("input", nargs="?", default="-",
                    help="SavedModel directory, IR text file, or '-' for stdin (default)")
    ap.add_argument("-p", "--pass-pipeline", default="", metavar="PIPELINE", help="passes to run")
    ap.add_argument("-o", "--output", default="-", help="output file for the IR ('-' = stdout)")
    ap.add_argument("--split-input-file", action="store_true",
                    help="process chunks separated by '// -----' independently")
    ap.add_argument("--run-reproducer", action="store_true",
                    help="run the pipeline recorded in the input reproducer file")
    ap.add_argument("--list-passes", action="store_true", help="list every pass with its options")
    ap.add_argument("--verbose", action="store_true",
                    help="with --list-passes: each pass's statistics and long description too")
    ap.add_argument("--tags", default=None, help="MetaGraphDef tags to import (comma-separated)")
    ap.add_argument("--summary", action="store_true", help="print a short module summary to stderr")
    ap.add_argument("--no-output", action="store_true", help="do not print the resulting IR")
    add_instrumentation_flags(ap)
    return ap


def summary(module):
    lines = [f"// smopt summary: {len(module.functions)} functions, {module.op_count()} ops "
             f"({len(module.graph.ops) if module.graph else 0} in the main graph), "
             f"{len(module.signatures)} signatures, {len(module.aliases)} aliases, "
             f"{len(module.variables)} variables, {len(module.assets)} assets"]
    for s in module.signatures.values():
        ins = ", ".join(f"{k}: {t}" for k, _, t in s.inputs)
        outs = ", ".join(f"{k}: {t}" for k, _, t in s.outputs)
        lines.append(f"//   signature {s.name}({ins}) -> ({outs}) enters @{s.function}")
    for a in sorted(module.aliases):
        lines.append(f"//   alias {a} -> " + ", ".join("@" + f for f in module.aliases[a]))
    return "\n".join(lines) + "\n"


def run_one(module, passes, inst, args):
    from smopt.compiler.pass_manager import PassManager
    from smopt.ir import VerificationError, print_module, verify

    pm = PassManager(passes, inst)
    pm.defer_outputs = True  # published once the output is written (see _main)
    t0 = time.perf_counter()
    try:
        verify(module)
    except VerificationError as e:
        src = getattr(module, "source", None)
        if isinstance(src, str) and os.path.isdir(src):  # a lifted SavedModel: name it
            from smopt.compiler.errors import SmoptError
            raise SmoptError(f"the model '{src}' does not verify: {str(e).splitlines()[0]}") from None
        raise
    pm.record("(input verifier)", time.perf_counter() - t0)
    pm.run(module)
    t0 = time.perf_counter()
    try:
        text = "" if args.no_output else print_module(module, inst.elide, inst.elide_operands)
    except BaseException:
        pm.discard_outputs()
        raise
    pm.record("Output", time.perf_counter() - t0)
    return text, pm


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.list_passes:
        from smopt.passes.framework.registry import describe_all
        sys.stdout.write(describe_all(verbose=args.verbose))
        return 0
    return guarded("smopt", args, lambda: _main(args))


def _main(args):
    from smopt.compiler import model_io as smio
    from smopt.compiler.errors import SmoptError
    from smopt.compiler.pass_manager import read_reproducer
    from smopt.ir import ParseError, VerificationError, parse_module
    from smopt.passes.framework.registry import parse_pipeline

    pipeline = args.pass_pipeline
    if args.run_reproducer:
        text, name = smio.read_text(args.input)
        rec = read_reproducer(text, name)
        if rec is None:
            raise SmoptError(f"'{args.input}' is not a smopt reproducer (no '// configuration:' line)")
        pipeline, args.verify_each = rec
    passes = parse_pipeline(pipeline)  # validate before touching any input
    inst = instrumentation_from_args(args)
    # Every output location is checked before any work.
    if not args.no_output:
        smio.check_output_file(args.output, "-o")
    inst.check_paths()
    written = [("-o", None if args.no_output else args.output), ("--print-ir-tree-dir", inst.tree_dir),
               ("--reproducer", inst.reproducer)]
    if args.input != "-" and os.path.isdir(args.input):
        from smopt.compiler.convert import check_not_inside
        check_not_inside(written, args.input, "the input model directory", "the input is never modified")
    if inst.tree_dir and not args.no_output and args.output != "-" and \
            os.path.realpath(inst.tree_dir) == os.path.realpath(args.output):
        raise SmoptError(f"--print-ir-tree-dir '{inst.tree_dir}' and -o name the same path")
    outputs, failed, reports = [], False, []
    t0 = time.perf_counter()
    if args.split_input_file and args.input != "-" and os.path.isdir(args.input):
        raise SmoptError("--split-input-file needs IR text input, not a SavedModel directory")
    try:
        if args.split_input_file:
            text, name = smio.read_text(args.input)
            for chunk, offset in smio.split_chunks(text):
                try:
                    module = parse_module(chunk, name, offset)
                    out, pm = run_one(module, parse_pipeline(pipeline), inst, args)
                    outputs.append(out)
                    reports.append(pm)
                except (ParseError, SmoptError, VerificationError) as e:
                    print(_fmt(e), file=sys.stderr)
                    failed = True
            result = "// -----\n".join(outputs)
        else:
            tags = set(args.tags.split(",")) if args.tags else None
            module = smio.load_module(args.input, tags)
            load_time = time.perf_counter() - t0
            result, pm = run_one(module, passes, inst, args)
            pm.timings.insert(0, ("Import" if module.meta_graph is not None else "Parser", load_time))
            reports.append(pm)
            if args.summary:
                sys.stderr.write(summary(module))
        if not args.no_output and not (failed and args.output != "-"):
            smio.write_text_atomic(args.output, result)
        for pm in reports:  # files passes wrote appear with the output, not after a failure
            if failed:
                pm.discard_outputs()
            else:
                pm.publish_outputs()
    except BaseException:
        for pm in reports:
            pm.discard_outputs()
        raise
    for pm in reports:  # after the output, as mlir-opt reports at exit
        write_reports(pm, inst)
    return 1 if failed else 0


def _fmt(e):
    from smopt.ir import ParseError, VerificationError
    if isinstance(e, (ParseError, VerificationError)):
        return str(e)
    msg = str(e).splitlines()[0] if str(e) else type(e).__name__
    return f"smopt: error: {msg}"


if __name__ == "__main__":
    sys.exit(main())
