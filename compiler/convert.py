"""The converter driver: SavedModel + ConverterOptions -> converted SavedModel.

    convert(input_dir, output_dir, "tpu_functions { function_alias: 'tpu_func' }", target="cpu")

Output checks happen before any work, the input is never modified, and the output directory
appears only when everything succeeded (compiler.exporter writes it atomically).
"""
from __future__ import annotations

import contextlib
import gc
import os
import shutil
import time

from smopt.ir import VerificationError, verify
from smopt.passes.framework.registry import PipelineError, parse_pipeline

from smopt.compiler import pipelines
from smopt.compiler.errors import SmoptError
from smopt.compiler.exporter import check_input_output, export_saved_model, prepare_output_dir
from smopt.compiler.graphs import write_graphs
from smopt.compiler.importer import import_saved_model, validate_checkpoint
from smopt.compiler.model_io import check_output_dir, check_output_file, make_work_dir
from smopt.compiler.options import check_converter_options, parse_converter_options
from smopt.compiler.pass_manager import Instrumentation, PassManager


def _quantization_stage(opts, input_dir, module, workdir):
    if not opts.HasField("external_feature_configs") or \
            not opts.external_feature_configs.HasField("quantization_options"):
        return None
    try:
        from smopt.compiler.quantization_driver import quantization_pipeline
    except ImportError:
        raise SmoptError("quantization_options are not supported by this build of smopt") from None
    return quantization_pipeline(input_dir, module, opts.external_feature_configs.quantization_options,
                                 workdir)


def build_pipeline(opts, input_dir=None, module=None, target="tpu", report_json=None, workdir=None):
    """The pipeline text for these options (running calibration if quantization needs it)."""
    quant = _quantization_stage(opts, input_dir, module, workdir) if module is not None else None
    return pipelines.pipeline_text(opts, target=target, report_json=report_json, quantization=quant)


@contextlib.contextmanager
def heap_frozen():
    """Keep the objects that exist now (TensorFlow's and Keras' modules: hundreds of thousands)
    out of the garbage collector's scans while the block runs. A conversion allocates many
    small IR objects, and every full collection they trigger would walk that whole heap
    (~0.15 s each) although none of it becomes garbage here; new objects are collected as
    usual. A no-op when the caller froze the heap itself."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def run_pipeline(input_dir, output_dir, pipeline, inst=None, overwrite=False, dump_dir=None, log=None,
                 tool="smopt-convert", before_publish=None):
    """Import `input_dir`, run `pipeline`, export to `output_dir` atomically.

    `pipeline` is `-p` text or a callable(module, workdir) -> text (for pipelines that depend
    on the model, e.g. quantization calibration). `before_publish(dir, module)` may add files
    to the finished export before it is moved into place. Returns (module, pass manager).
    """
    with heap_frozen():
        return _run_pipeline(input_dir, output_dir, pipeline, inst, overwrite, dump_dir, log, tool,
                             before_publish)


def check_paths(input_dir, output_dir, overwrite=False, inst=None, dump_dir=None, files=()):
    """Every check on where the outputs go, before any work: the output directory is not the
    input, inside it or around it, is missing or empty (or --overwrite) and can be created;
    dumps, reproducer and reports (`files`: (flag, path)) can be written and are not inside
    the input model. Returns the output directory's state now (exporter.prepare_output_dir),
    for the export to tell whether another process wrote it meanwhile."""
    check_input_output(input_dir, output_dir)
    before = prepare_output_dir(output_dir, overwrite)
    paths = list(files)
    if dump_dir:
        check_output_dir(dump_dir, "--dump_dir")
        paths.append(("--dump_dir", dump_dir))
    if inst is not None:
        inst.check_paths()
        paths += [("--print-ir-tree-dir", inst.tree_dir), ("--reproducer", inst.reproducer)]
    for flag, path in files:
        if path:
            check_output_file(path, flag)
    check_not_inside(paths, input_dir, "the input model directory", "the input is never modified")
    check_not_inside(paths, output_dir, "the output directory", "the output directory holds only the model")
    return before


def check_not_inside(paths, directory, what, why):
    """Refuse any (flag, path) of `paths` that is `directory` or lies inside it (symlinks resolved)."""
    root = os.path.realpath(directory) + os.sep
    for flag, path in paths:
        if path and path != "-" and (os.path.realpath(path) + os.sep).startswith(root):
            raise SmoptError(f"{flag} '{path}' is or lies inside {what} '{directory}'; {why}")


def _run_pipeline(input_dir, output_dir, pipeline, inst, overwrite, dump_dir, log, tool, before_publish):
    inst = inst or Instrumentation()
    before = check_paths(input_dir, output_dir, overwrite, inst, dump_dir)
    if dump_dir:
        inst.tree_dir = dump_dir
        inst.print_before_all = inst.print_after_all = True
    t0 = time.perf_counter()
    module = import_saved_model(input_dir)
    try:
        verify(module)
    except VerificationError as e:
        raise SmoptError(f"the imported model does not verify: {e}") from None
    validate_checkpoint(module)  # a corrupt checkpoint fails here, before anything is written
    graph_errors = []
    if dump_dir:
        graph_errors += write_graphs(module, dump_dir, "input", dataflow=False)[1]
    workdir = make_work_dir()
    pm = None
    try:
        text = pipeline(module, workdir) if callable(pipeline) else pipeline
        try:
            passes = parse_pipeline(text)
        except PipelineError as e:
            raise SmoptError(f"{e} (pipeline: {text})") from None
        if module.op_count() > 2000:
            inst.progress = True
        pm = PassManager(passes, inst)
        pm.defer_outputs = True  # reports appear with the model, not after a failed export
        pm.record("Import", time.perf_counter() - t0)
        pm.run(module)
        if dump_dir:
            graph_errors += write_graphs(module, dump_dir, "output")[1]
        t1 = time.perf_counter()
        hook = (lambda d: before_publish(d, module)) if before_publish else None
        export_saved_model(module, output_dir, overwrite, before_publish=hook, before=before)
        pm.publish_outputs()
        pm.record("Export", time.perf_counter() - t1)
        if log is not None:  # after success only: a failure stays one line
            log.write(f"{tool}: pipeline: {text or '(none)'}\n")
            if graph_errors:
                log.write(f"{tool}: note: dot could not render {len(graph_errors)} graph(s) in "
                          f"{dump_dir}/graphs ({graph_errors[0]})\n")
    except BaseException:
        if pm is not None:
            pm.discard_outputs()
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return module, pm


def convert(input_dir, output_dir, options="", target="tpu", inst=None, report_json=None,
            overwrite=False, dump_dir=None, log=None):
    """Run the converter. `options` is ConverterOptions text or message.

    Returns (module, pass manager) so callers can print timing and statistics reports."""
    if target not in ("tpu", "cpu"):
        raise SmoptError(f"unknown --target '{target}' (expected tpu or cpu)")
    opts = parse_converter_options(options) if isinstance(options, str) else options
    check_converter_options(opts)
    check_paths(input_dir, output_dir, overwrite, inst, dump_dir, files=[("--report_json", report_json)])
    return run_pipeline(
        input_dir, output_dir,
        lambda module, workdir: build_pipeline(opts, input_dir, module, target, report_json, workdir),
        inst, overwrite, dump_dir, log)
