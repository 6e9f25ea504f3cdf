"""cpu-gpu-placement: the min-cut placement of tabular models, end to end and in the small.

The Wide & Deep model is placed, exported and run with TensorFlow on this CPU-only machine
(soft placement) with outputs unchanged; lookups must stay on the host, the MLP must go to
the GPU, the report's transfers must equal the proven optimum and beat the naive placement.
The min cut is checked against brute force, and the "no cycle through the host" repair
against an independent path check.
"""
import itertools
import json

import networkx as nx
import pytest

import models_runtime as M
from smopt.compiler.exporter import export_saved_model
from smopt.compiler.importer import import_saved_model
from smopt.compiler.pass_manager import PassManager
from smopt.ir import parse_module, types as T, verify
from smopt.passes.cpu_gpu_placement import GPU, HOST, CpuGpuPlacement, Model, Solver
from smopt.passes.framework.registry import parse_pipeline


@pytest.fixture(scope="session")
def runtime_model(models_dir):
    return lambda name: M.cached(models_dir, name)


def _strings(op):
    return any(isinstance(v.type, T.TensorType) and v.type.dtype is T.string
               for v in list(op.operands) + list(op.results))


def _resource_var(m, fn, value):
    nid = value.attrs.get("tf_saved_model.bound_input") if hasattr(value, "attrs") else None
    return m.variable_by_node(nid) if isinstance(nid, int) else None


@pytest.fixture(scope="module")
def placed_wide_deep(runtime_model, tmp_path_factory):
    src = runtime_model("wide_deep")
    out = tmp_path_factory.mktemp("placement")
    report = str(out / "report.json")
    m = import_saved_model(src)
    passes = parse_pipeline(f"cpu-gpu-placement{{host-table-bytes=65536 report={report}}}")
    PassManager(passes).run(m)
    verify(m)
    with open(report) as f:
        rep = json.load(f)
    exported = str(out / "placed")
    export_saved_model(m, exported)
    return src, m, rep, exported, passes[0].stats


def _serve(m):
    return next(f for f in m.functions.values() if any(op.type == "LookupTableFindV2" for op in f.ops))


def test_lookups_on_host_mlp_on_gpu(placed_wide_deep):
    _, m, rep, _, stats = placed_wide_deep
    serve = _serve(m)
    for op in serve.ops:
        if _strings(op) or op.type in ("LookupTableFindV2", "StringToHashBucketFast"):
            assert op.device == HOST, op
    matmuls = [op for op in serve.ops if op.type == "MatMul"]
    assert len(matmuls) == 3 and all(op.device == GPU for op in matmuls)
    assert all(op.device == GPU for op in serve.ops if op.type == "Relu")
    # the big table (2048 x 16 floats = 128 KiB >= 64 KiB) is gathered where it lives: the host
    gathers = {_resource_var(m, serve, op.operands[0]).path: op for op in serve.ops if op.type == "ResourceGather"}
    assert gathers["user_emb"].device == HOST
    assert m.variable_by_path("user_emb").attrs["device"] == HOST
    assert rep["host_tables"] == ["user_emb"]
    # the OOV remapping between the host lookup and the host table stays on the host
    assert all(op.device == HOST for op in serve.ops if op.type in ("Less", "SelectV2"))
    assert stats["num-gpu-ops"] == rep["ops"]["gpu"] > 0 and stats["num-cpu-ops"] == rep["ops"]["cpu"] > 0
    assert every_op_placed(serve)


def every_op_placed(fn):
    return all(op.device in (HOST, GPU) for op in fn.ops)


def test_report_transfers_are_optimal_and_beat_naive(placed_wide_deep):
    _, _, rep, _, stats = placed_wide_deep
    placed, naive = rep["placed"], rep["naive"]
    assert rep["optimal"] is True and rep["repairs"] == []
    assert placed["cost"] == rep["optimum"]["cost"]
    assert placed["cost"] < naive["cost"]
    assert placed["transfers"]["edges"] < naive["transfers"]["edges"]
    assert placed["transfers"]["bytes_per_example"] < naive["transfers"]["bytes_per_example"]
    assert placed["transfers"]["bytes"] == sum(v["bytes"] for v in placed["transfers"]["values"])
    assert placed["transfers"]["bytes_per_example"] == placed["transfers"]["bytes"] / rep["batch_size"]
    assert stats["num-transfers"] == placed["transfers"]["edges"]
    # the model has no devices of its own: "before" is TF's default, the naive placement
    assert rep["before"] == naive


def test_placed_model_runs_on_cpu_with_unchanged_outputs(placed_wide_deep):
    src, m, _, exported, _ = placed_wide_deep
    for batch, seed in ((4, 0), (9, 3)):
        want = M.run_serving(src, "wide_deep", batch, seed)
        got = M.run_serving(exported, "wide_deep", batch, seed)
        M.assert_outputs_close(want, got, rtol=0.0)
    # the devices are in the exported graph
    back = import_saved_model(exported)
    assert [op.device for op in _serve(back).ops] == [op.device for op in _serve(m).ops]


def test_smopt_optimize_target_gpu_splits_wide_deep(runtime_model, tmp_path, capsys):
    """`smopt-optimize --target_device gpu` and no other flag: the placement runs with its
    default constants; in the exported graph the string work and the lookups are on the
    host, the MLP on the GPU; the model loads here (soft placement) with the same outputs."""
    from smopt.tools.smopt_optimize import main
    src = runtime_model("wide_deep")
    out = str(tmp_path / "gpu")
    assert main(["--input_model_dir", src, "--output_model_dir", out, "--target_device", "gpu"]) == 0
    err = capsys.readouterr().err
    assert "smopt-optimize: pipeline: canonicalize,cse,dce,merge-functions,cpu-gpu-placement" in err
    assert "cpu-gpu-placement: " in err and "(placement optimal)" in err
    serve = _serve(import_saved_model(out))
    host = [op for op in serve.ops if _strings(op) or op.type in ("LookupTableFindV2", "StringToHashBucketFast")]
    assert len(host) >= 8 and all(op.device == HOST for op in host)
    dense = [op for op in serve.ops if op.type in ("MatMul", "Relu")]
    assert len(dense) == 5 and all(op.device == GPU for op in dense)
    for batch, seed in ((4, 0), (7, 2)):
        M.assert_outputs_close(M.run_serving(src, "wide_deep", batch, seed),
                               M.run_serving(out, "wide_deep", batch, seed), rtol=0.0)


# ---- the min cut is the optimum of its cost model (brute force) -------------------------
SMALL = """
func.func @serve(%words: tensor<?x!tf_type.string>, %x: tensor<?x4xf32>, %table: tensor<!tf_type.resource>,
                 %emb: tensor<!tf_type.resource<tensor<5000x16xf32>>>, %w: tensor<!tf_type.resource<tensor<20x64xf32>>>)
    -> (tensor<?x1xf32> {tf.name = "score"}, tensor<?xi64> {tf.name = "ids"}) {
  %d = "tf.Const"() {dtype = i64, value = dense<-1> : tensor<i64>} : () -> tensor<i64> loc("default")
  %ids = "tf.LookupTableFindV2"(%table, %words, %d) {Tin = !tf_type.string, Tout = i64} : (tensor<!tf_type.resource>, tensor<?x!tf_type.string>, tensor<i64>) -> tensor<?xi64> loc("lookup")
  %z = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<i64> loc("zero")
  %oov = "tf.Maximum"(%ids, %z) {T = i64} : (tensor<?xi64>, tensor<i64>) -> tensor<?xi64> loc("oov")
  %e = "tf.ResourceGather"(%emb, %oov) {Tindices = i64, dtype = f32} : (tensor<!tf_type.resource<tensor<5000x16xf32>>>, tensor<?xi64>) -> tensor<?x16xf32> loc("gather")
  %n = "tf.Tanh"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("norm")
  %ax = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("axis")
  %c = "tf.ConcatV2"(%e, %n, %ax) {N = 2, T = f32, Tidx = i32} : (tensor<?x16xf32>, tensor<?x4xf32>, tensor<i32>) -> tensor<?x20xf32> loc("concat")
  %wv = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<!tf_type.resource<tensor<20x64xf32>>>) -> tensor<20x64xf32> loc("read")
  %h = "tf.MatMul"(%c, %wv) {T = f32} : (tensor<?x20xf32>, tensor<20x64xf32>) -> tensor<?x64xf32> loc("dense")
  %r = "tf.Relu"(%h) {T = f32} : (tensor<?x64xf32>) -> tensor<?x64xf32> loc("relu")
  %s = "tf.Sum"(%r, %ax) {T = f32, Tidx = i32, keep_dims = true} : (tensor<?x64xf32>, tensor<i32>) -> tensor<?x1xf32> loc("sum")
  return %s, %oov : tensor<?x1xf32>, tensor<?xi64>
}
"""


def _model(text, **options):
    m = parse_module(text)
    p = CpuGpuPlacement(**options)
    p._resource_vars = {}
    model = Model(p, m)
    for fn in m.functions.values():
        model.add_root(fn)
    return m, model, Solver(model, p)


@pytest.mark.parametrize("options", [{}, {"host_table_bytes": 100000}, {"gpu_speedup": 1.5},
                                     {"transfer_overhead": 500, "batch_size": 8}])
def test_min_cut_equals_brute_force_optimum(options):
    _, model, solver = _model(SMALL, **options)
    free = [k for k in solver.placeable if not model.units[k].host_reason]
    assert 6 <= len(free) <= 16
    best = None
    for bits in itertools.product(("cpu", "gpu"), repeat=len(free)):
        side = {k: "cpu" for k in solver.placeable}
        side.update(zip(free, bits))
        if any(side[r] != side[u] for r, u in model.coloc if r in side and u in side):
            continue
        cost = solver.evaluate(side)["cost"]
        best = cost if best is None else min(best, cost)
    value, side = solver.cut({})
    assert value == best
    assert solver.evaluate(side)["cost"] == value


# ---- no cycle of the accelerator part through the host ---------------------------------
BRIDGE = """
func.func @serve(%x: tensor<?x512xf32>, %s: tensor<?x1024x!tf_type.string>, %w1: tensor<!tf_type.resource<tensor<512x512xf32>>>, %w2: tensor<!tf_type.resource<tensor<1x4096xf32>>>) -> (tensor<?x1xf32> {tf.name = "y"}) {
  %a = "tf.ReadVariableOp"(%w1) {dtype = f32} : (tensor<!tf_type.resource<tensor<512x512xf32>>>) -> tensor<512x512xf32> loc("read_w1")
  %0 = "tf.MatMul"(%x, %a) {T = f32} : (tensor<?x512xf32>, tensor<512x512xf32>) -> tensor<?x512xf32> loc("dense1")
  %ax = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("axis")
  %1 = "tf.Sum"(%0, %ax) {T = f32, Tidx = i32, keep_dims = true} : (tensor<?x512xf32>, tensor<i32>) -> tensor<?x1xf32> loc("pool")
  %y = "tf.StringToNumber"(%s) {out_type = f32} : (tensor<?x1024x!tf_type.string>) -> tensor<?x1024xf32> loc("parse")
  %2 = "tf.Mul"(%y, %1) {T = f32} : (tensor<?x1024xf32>, tensor<?x1xf32>) -> tensor<?x1024xf32> loc("weigh")
  %3 = "tf.Sum"(%2, %ax) {T = f32, Tidx = i32, keep_dims = true} : (tensor<?x1024xf32>, tensor<i32>) -> tensor<?x1xf32> loc("total")
  %b = "tf.ReadVariableOp"(%w2) {dtype = f32} : (tensor<!tf_type.resource<tensor<1x4096xf32>>>) -> tensor<1x4096xf32> loc("read_w2")
  %4 = "tf.MatMul"(%3, %b) {T = f32} : (tensor<?x1xf32>, tensor<1x4096xf32>) -> tensor<?x4096xf32> loc("dense2")
  %5 = "tf.Tanh"(%4) {T = f32} : (tensor<?x4096xf32>) -> tensor<?x4096xf32> loc("act")
  %6 = "tf.Sum"(%5, %ax) {T = f32, Tidx = i32, keep_dims = true} : (tensor<?x4096xf32>, tensor<i32>) -> tensor<?x1xf32> loc("out")
  return %6 : tensor<?x1xf32>
}
"""

STRING_BETWEEN = """
func.func @serve(%x: tensor<?x64xf32>, %w1: tensor<!tf_type.resource<tensor<64x256xf32>>>, %w2: tensor<!tf_type.resource<tensor<256x64xf32>>>) -> (tensor<?x64xf32> {tf.name = "y"}) {
  %a = "tf.ReadVariableOp"(%w1) {dtype = f32} : (tensor<!tf_type.resource<tensor<64x256xf32>>>) -> tensor<64x256xf32> loc("read_w1")
  %0 = "tf.MatMul"(%x, %a) {T = f32} : (tensor<?x64xf32>, tensor<64x256xf32>) -> tensor<?x256xf32> loc("dense1")
  %1 = "tf.AsString"(%0) {T = f32} : (tensor<?x256xf32>) -> tensor<?x256x!tf_type.string> loc("to_text")
  %2 = "tf.StringToNumber"(%1) {out_type = f32} : (tensor<?x256x!tf_type.string>) -> tensor<?x256xf32> loc("from_text")
  %b = "tf.ReadVariableOp"(%w2) {dtype = f32} : (tensor<!tf_type.resource<tensor<256x64xf32>>>) -> tensor<256x64xf32> loc("read_w2")
  %3 = "tf.MatMul"(%2, %b) {T = f32} : (tensor<?x256xf32>, tensor<256x64xf32>) -> tensor<?x64xf32> loc("dense2")
  return %3 : tensor<?x64xf32>
}
"""


def _gpu_cycle_through_host(fn):
    """Independent check on the placed function: a GPU op reaching a CPU op reaching a GPU op."""
    g = nx.DiGraph()
    for op in fn.ops:
        g.add_node(id(op))
        for v in op.operands:
            if hasattr(v, "op"):
                g.add_edge(id(v.op), id(op))
        for c in op.control_inputs:
            g.add_edge(id(c.op), id(op))
    dev = {id(op): op.device for op in fn.ops if op.type != "Const"}
    for op in fn.ops:
        if dev.get(id(op)) != HOST:
            continue
        before = any(dev.get(a) == GPU for a in nx.ancestors(g, id(op)))
        after = any(dev.get(d) == GPU for d in nx.descendants(g, id(op)))
        if before and after:
            return op
    return None


@pytest.mark.parametrize("text, action", [
    (BRIDGE, "bridging host ops to the GPU"),
    (STRING_BETWEEN, "GPU ops after the host excursion to the host"),
])
def test_cycle_through_host_is_repaired(text, action, tmp_path):
    m, model, solver = _model(text)
    value, side = solver.cut({})
    assert solver.violations(side)[0], "the plain min cut should have a cycle through the host"
    report = tmp_path / "r.json"
    m = parse_module(text)
    passes = parse_pipeline(f"cpu-gpu-placement{{report={report}}}")
    PassManager(passes).run(m)
    rep = json.loads(report.read_text())
    assert [r["action"] for r in rep["repairs"]] == [action]
    assert rep["optimal"] is False and rep["placed"]["cost"] > rep["optimum"]["cost"] == value
    assert passes[0].stats["num-repairs"] == 1
    assert _gpu_cycle_through_host(m.functions["serve"]) is None
    assert any(op.device == GPU for op in m.functions["serve"].ops)
