"""Graphs in smopt-convert's --dump_dir: DOT always, SVG where Graphviz's `dot` is on PATH
(here a fake `dot` stands in for it, and a PATH without one shows the clean skip)."""
import os
import shutil
import sys

import pytest

from smopt.tools import smopt_convert

TPU_OPTIONS = 'tpu_functions { function_alias: "tpu_func" }'


def _path_without_dot():
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not os.path.exists(os.path.join(d, "dot"))]
    return os.pathsep.join(dirs)


def _fake_dot(bindir):
    """A `dot` that writes a small SVG naming its input (and fails on a graph named 'bad')."""
    os.makedirs(bindir, exist_ok=True)
    path = os.path.join(bindir, "dot")
    with open(path, "w") as f:
        f.write(f"""#!{sys.executable}
import sys
args = sys.argv[1:]
src, dest = args[1], args[args.index("-o") + 1]
assert args[0] == "-Tsvg"
text = open(src).read()
if not text.startswith("digraph"):
    sys.exit("syntax error in line 1")
open(dest, "w").write("<svg><!-- " + src + " --></svg>\\n")
""")
    os.chmod(path, 0o755)
    return bindir


def _convert(example_model, tmp_path, monkeypatch, path_value):
    monkeypatch.setenv("PATH", path_value)
    dump = tmp_path / "dump"
    rc = smopt_convert.main(["--input_model_dir", example_model("alias"), "--output_model_dir",
                             str(tmp_path / "out"), "--converter_options_string", TPU_OPTIONS,
                             "--target", "cpu", "--dump_dir", str(dump)])
    assert rc == 0
    return dump / "graphs"


def test_dump_dir_writes_dot_and_svg_with_dot_on_path(example_model, tmp_path, monkeypatch):
    bindir = _fake_dot(str(tmp_path / "bin"))
    graphs = _convert(example_model, tmp_path, monkeypatch, bindir + os.pathsep + _path_without_dot())
    names = sorted(os.listdir(graphs))
    assert "input.call_graph.dot" in names and "input.call_graph.svg" in names
    assert "output.call_graph.dot" in names and "output.call_graph.svg" in names
    dataflow = [n for n in names if n.startswith("output.dataflow.") and n.endswith(".dot")]
    assert dataflow, names
    for n in dataflow:      # every DOT file has its SVG, made from it
        svg = (graphs / (n[:-4] + ".svg")).read_text()
        assert svg.startswith("<svg>") and n in svg
    text = (graphs / "output.call_graph.dot").read_text()
    assert "TPU function" in text and "alias: tpu_func" in text
    # the TPU function (a stub calls it) has its own dataflow picture, grouped as a TPU program
    tpu = [n for n in dataflow if "tpu_func" in n and "stub" not in n]
    assert tpu and "(TPU function)" in (graphs / tpu[0]).read_text()


def test_dump_dir_without_dot_writes_dot_only(example_model, tmp_path, monkeypatch, capsys):
    graphs = _convert(example_model, tmp_path, monkeypatch, _path_without_dot())
    names = sorted(os.listdir(graphs))
    assert names and all(n.endswith(".dot") for n in names), names
    assert "note: dot" not in capsys.readouterr().err


def test_a_failing_dot_is_one_note(tmp_path, monkeypatch):
    from smopt.compiler.graphs import render_svg
    bindir = _fake_dot(str(tmp_path / "bin"))
    src = tmp_path / "bad.dot"
    src.write_text("graph? {")
    err = render_svg(os.path.join(bindir, "dot"), str(src), str(tmp_path / "bad.svg"))
    assert err == "syntax error in line 1" and not (tmp_path / "bad.svg").exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_real_dot_renders_the_graphs(example_model, tmp_path, monkeypatch):
    graphs = _convert(example_model, tmp_path, monkeypatch, os.environ["PATH"])
    svgs = [n for n in os.listdir(graphs) if n.endswith(".svg")]
    assert len(svgs) == len([n for n in os.listdir(graphs) if n.endswith(".dot")])
    for n in svgs:
        assert "</svg>" in (graphs / n).read_text()
