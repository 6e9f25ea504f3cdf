"""Graphs for `--dump_dir`: the call graph and the dataflow of the interesting functions, as
Graphviz DOT, and as SVG when Graphviz's `dot` program is on PATH.

    D/graphs/input.call_graph.dot     the imported model
    D/graphs/output.call_graph.dot    after the pipeline
    D/graphs/output.dataflow.<function>.dot   signature entries, TPU functions and stubs, and
                                      functions calling XLA clusters or TPU functions
    ... and a .svg beside each .dot when `dot` is installed

Without `dot` only the DOT files are written (render them elsewhere: `dot -Tsvg f.dot`).
Graphs with more than MAX_SVG_NODES nodes are not rendered (Graphviz takes minutes on them).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess

from smopt.compiler.model_io import os_error
from smopt.passes.analysis.graphviz import call_graph_dot, call_kind, dataflow_dot, function_kind

MAX_FUNCTIONS = 24
MAX_SVG_NODES = 1500
DOT_TIMEOUT_S = 60


def graph_functions(module):
    """The functions worth a dataflow picture, in module order."""
    entries = {s.function for s in module.signatures.values()}
    out = []
    for name, fn in module.functions.items():
        if name in entries or function_kind(fn) in ("tpu", "stub") or \
                any(op.callee and call_kind(op, module) for op in fn.ops):
            out.append(fn)
    return out[:MAX_FUNCTIONS]


def _file_name(name):
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", name)[:120]


def write_graphs(module, dump_dir, stage, dataflow=True):
    """Write `stage`'s graphs under `dump_dir`/graphs; returns (written paths, render errors)."""
    out_dir = os.path.join(dump_dir, "graphs")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:
        raise os_error(e, out_dir) from None
    graphs = [(f"{stage}.call_graph", call_graph_dot(module))]
    if dataflow:
        for fn in graph_functions(module):
            graphs.append((f"{stage}.dataflow.{_file_name(fn.name)}", dataflow_dot(module, fn)))
    dot = shutil.which("dot")
    written, errors = [], []
    for base, text in graphs:
        path = os.path.join(out_dir, base + ".dot")
        try:
            with open(path, "w") as f:
                f.write(text)
        except OSError as e:
            raise os_error(e, path) from None
        written.append(path)
        if dot is None or _nodes(text) > MAX_SVG_NODES:
            continue
        svg = path[:-4] + ".svg"
        err = render_svg(dot, path, svg)
        if err:
            errors.append(f"{os.path.basename(path)}: {err}")
        else:
            written.append(svg)
    return written, errors


def _nodes(text):
    return sum(1 for line in text.splitlines() if '" [' in line and " -> " not in line)


def render_svg(dot, src, dest):
    """Run `dot -Tsvg`; returns an error message, or None when `dest` was written."""
    try:
        r = subprocess.run([dot, "-Tsvg", src, "-o", dest], capture_output=True, text=True,
                           timeout=DOT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"dot took more than {DOT_TIMEOUT_S} s"
    except OSError as e:
        return f"cannot run {dot}: {e.strerror}"
    if r.returncode != 0 or not os.path.exists(dest):
        msg = (r.stderr.strip().splitlines() or [f"exit status {r.returncode}"])[0]
        if os.path.exists(dest):
            os.unlink(dest)
        return msg
    return None
