"""xla-cluster: auto-clustering into `_XlaMustCompile` functions, checked against TensorFlow.

The clustered SavedModels are exported, loaded with tf.saved_model.load and run on the CPU
(XLA CPU JIT); outputs must stay within 1e-5 (relative to each output's scale).
"""
import itertools
import os
import random
import subprocess
import sys

import networkx as nx
import pytest

import models_runtime as M
from smopt.compiler.exporter import export_saved_model
from smopt.compiler.importer import import_saved_model
from smopt.compiler.pass_manager import PassManager
from smopt.ir import types as T
from smopt.ir import verify
from smopt.ir.core import OpResult
from smopt.passes.framework.registry import parse_pipeline
from smopt.passes.xla_cluster import Compilability, CycleGraph

RTOL = 1e-5


@pytest.fixture(scope="session")
def runtime_model(models_dir):
    return lambda name: M.cached(models_dir, name)


def _cluster(path, pipeline="xla-cluster"):
    m = import_saved_model(path)
    passes = parse_pipeline(pipeline)
    PassManager(passes).run(m)
    verify(m)
    return m, passes[-1].stats


def _cluster_functions(m):
    return [f for f in m.functions.values() if f.attrs.get("smopt.xla_cluster")]


def _compiled_ops(m, fn):
    """Ops of `fn` and of every function its ops reach."""
    comp = Compilability(m, "cpu")
    names = {fn.name}
    for op in fn.ops:
        names |= comp.reached_functions(op)
    return [op for n in names for op in m.functions[n].ops]


@pytest.mark.parametrize("name", ["mlp", "cnn", "control_flow", "string_middle", "nested_calls", "wide_deep"])
def test_clustered_model_matches_tensorflow(runtime_model, tmp_path, name):
    src = runtime_model(name)
    m, stats = _cluster(src)
    assert stats["num-clusters"] >= 1 and stats["num-ops-clustered"] >= 4
    clusters = _cluster_functions(m)
    assert len(clusters) == stats["num-clusters"]
    for f in clusters:
        assert f.attrs["_XlaMustCompile"] is True and f.attrs["_noinline"] is True
        calls = [op for g in m.functions.values() for op in g.ops if op.callee == f.name]
        assert len(calls) == 1 and calls[0].attrs["_XlaMustCompile"] is True
        assert calls[0].type in ("PartitionedCall", "StatefulPartitionedCall")
    out = str(tmp_path / "clustered")
    export_saved_model(m, out)
    # The exported FunctionDefs keep the XLA markers.
    back = import_saved_model(out)
    assert sorted(f.name for f in back.functions.values() if f.attrs.get("_XlaMustCompile")) == \
        sorted(f.name for f in clusters)
    M.assert_outputs_close(M.run_serving(src, name), M.run_serving(out, name), RTOL)
    M.assert_outputs_close(M.run_serving(src, name, batch=7, seed=1),
                           M.run_serving(out, name, batch=7, seed=1), RTOL)


def test_string_ops_stay_outside_and_split_the_model(runtime_model):
    m, stats = _cluster(runtime_model("string_middle"))
    assert stats["num-clusters"] == 2
    for f in _cluster_functions(m):
        for op in _compiled_ops(m, f):
            types = [v.type for v in list(op.operands) + list(op.results)]
            assert not any(isinstance(t, T.TensorType) and t.dtype is T.string for t in types), op
    serve = next(f for f in m.functions.values() if any(op.type == "AsString" for op in f.ops))
    kinds = [op.type if not op.callee else ("cluster" if op.attrs.get("_XlaMustCompile") else op.type)
             for op in serve.ops]
    # numeric work -> strings -> numeric work: a cluster on each side of the string round trip
    assert kinds.index("cluster") < kinds.index("AsString") < kinds.index("StringToNumber") < \
        len(kinds) - 1 - kinds[::-1].index("cluster")


def test_wide_deep_keeps_lookups_outside(runtime_model):
    m, _ = _cluster(runtime_model("wide_deep"))
    compiled = {op.type for f in _cluster_functions(m) for op in _compiled_ops(m, f)}
    assert "MatMul" in compiled
    assert not compiled & {"LookupTableFindV2", "StringToHashBucketFast", "StringLower", "AsString"}


def test_control_flow_compiles_if_and_while_with_their_bodies(runtime_model):
    m, stats = _cluster(runtime_model("control_flow"))
    assert stats["num-clusters"] == 1
    (cluster,) = _cluster_functions(m)
    compiled = [op.type for op in _compiled_ops(m, cluster)]
    assert any(t in ("If", "StatelessIf") for t in compiled)
    assert any(t in ("While", "StatelessWhile") for t in compiled)
    # bodies run inside the cluster: nothing in them was clustered again
    comp = Compilability(m, "cpu")
    inner = set()
    for op in cluster.ops:
        inner |= comp.reached_functions(op)
    assert not any(op.attrs.get("_XlaMustCompile") for n in inner for op in m.functions[n].ops)


def test_clustering_is_idempotent(runtime_model):
    m, _ = _cluster(runtime_model("string_middle"))
    passes = parse_pipeline("xla-cluster")
    PassManager(passes).run(m)
    assert passes[0].stats["num-clusters"] == 0


def test_xla_compiles_the_clusters(runtime_model, tmp_path):
    """TF logs 'Compiled cluster using XLA!' once per process: only the clustered model does."""
    src = runtime_model("mlp")
    m, _ = _cluster(src)
    out = str(tmp_path / "clustered")
    export_saved_model(m, out)
    script = f"""
import sys
sys.path.insert(0, {os.path.dirname(__file__)!r})
import models_runtime as M
M.run_serving({src!r}, "mlp")
sys.stderr.write("=== original done ===\\n"); sys.stderr.flush()
M.run_serving({out!r}, "mlp")
sys.stderr.write("=== clustered done ===\\n"); sys.stderr.flush()
"""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="0", TF_XLA_FLAGS="")
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    before, _, after = r.stderr.partition("=== original done ===")
    assert "Compiled cluster using XLA" not in before
    assert "Compiled cluster using XLA" in after.partition("=== clustered done ===")[0]


def _executed_clusters(m, signature="serving_default"):
    """Cluster functions reachable from a signature's function (what a call of it runs)."""
    cg = m.call_graph()
    root = m.signatures[signature].function
    return sorted(n for n in {root} | cg.reachable(root) if m.functions[n].attrs.get("smopt.xla_cluster"))


def test_inlining_first_forms_clusters_across_call_boundaries(runtime_model, tmp_path):
    """nested_calls: numeric work around a call to a function with a string round trip in
    the middle. Alone, xla-cluster cannot cross the call boundaries: four clusters (four XLA
    launches) per inference. After inline (smopt-optimize's precompilation pipeline) there are
    two, as in TensorFlow's own auto-clustering, and no cluster takes a constant as operand."""
    from smopt.compiler.optimize import optimize_pipeline
    src = runtime_model("nested_calls")
    alone, _ = _cluster(src)
    assert len(_executed_clusters(alone)) == 4
    m, _ = _cluster(src, optimize_pipeline(allow_precompilation=True))
    executed = _executed_clusters(m)
    assert len(executed) == 2
    calls = [op for f in m.functions.values() for op in f.ops if op.callee in executed]
    assert len(calls) == 2
    for call in calls:
        assert not any(isinstance(v, OpResult) and v.op.type == "Const" for v in call.operands), call
    # each side of the string ops is one cluster: compute ops of caller and callee together
    compiled = [sorted(op.type for op in _compiled_ops(m, m.functions[n])) for n in executed]
    assert any({"MatMul", "Tanh", "Relu", "Round"} <= set(c) for c in compiled)
    assert any({"Sigmoid", "MatMul", "Softmax"} <= set(c) for c in compiled)
    out = str(tmp_path / "clustered")
    export_saved_model(m, out)
    M.assert_outputs_close(M.run_serving(src, "nested_calls"), M.run_serving(out, "nested_calls"), RTOL)


def test_shared_constants_are_copied_into_each_cluster(runtime_model):
    """After inline + cse, the equal constants of both clusters of string_middle are merged
    into one op; each cluster still gets its own copy, not a call operand."""
    m, _ = _cluster(runtime_model("string_middle"), "inline,canonicalize,cse,dce,xla-cluster")
    executed = _executed_clusters(m)
    assert len(executed) == 2
    for name in executed:
        fn = m.functions[name]
        consts = [op for op in fn.ops if op.type == "Const"]
        assert consts, name
        # the only arguments: the variable handle and the data flowing in, no scalars
        assert not any(a.type.shape is not None and len(a.type.shape) == 0 for a in fn.args), name
    (call,) = [op for f in m.functions.values() for op in f.ops if op.callee == executed[1]]
    assert not any(isinstance(v, OpResult) and v.op.type == "Const" for v in call.operands)


def test_benchmark_counts_clusters_of_the_executed_signature_only(runtime_model):
    """The benchmark compares with TF's dump of the executed function: after inlining, the
    object graph's own copy of `serve` is clustered too but not executed by the signature."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
    from xla_clustering_vs_tf import cluster_figures
    m, stats = _cluster(runtime_model("mlp"), "inline,canonicalize,cse,dce,xla-cluster")
    figs = cluster_figures(m)
    assert stats["num-clusters"] == figs["clusters_all_functions"] == 2
    assert figs["clusters"] == len(_executed_clusters(m)) == 1
    (name,) = _executed_clusters(m)
    ops = [op for op in m.functions[name].ops]
    assert figs["ops_clustered"] == len(ops)
    assert figs["compute_ops"] == sum(op.type not in ("Identity", "Const", "NoOp") for op in ops) == 15


def test_min_cluster_size_statistics(runtime_model):
    # A huge minimum leaves the model alone.
    m, stats = _cluster(runtime_model("mlp"), "xla-cluster{min-cluster-size=1000}")
    assert stats["num-clusters"] == 0 and not _cluster_functions(m)


# ---- the cycle-safe contraction graph ----------------------------------------------------
def _random_dag(rng, n, p):
    edges = [(a, b) for a, b in itertools.combinations(range(n), 2) if rng.random() < p]
    return edges


@pytest.mark.parametrize("seed", range(8))
def test_contraction_refuses_exactly_the_cycle_making_edges(seed):
    rng = random.Random(seed)
    n = 30
    g = CycleGraph(n)
    ref = nx.DiGraph()
    ref.add_nodes_from(range(n))
    perm = list(range(n))
    rng.shuffle(perm)  # insert edges against the initial rank order too (Pearce-Kelly)
    for a, b in _random_dag(rng, n, 0.12):
        g.add_edge(perm[a], perm[b])
        ref.add_edge(perm[a], perm[b])
    for _ in range(200):
        edges = list(ref.edges)
        if not edges:
            break
        a, b = rng.choice(edges)
        trial = ref.copy()
        trial.remove_edge(a, b)
        expect_ok = not nx.has_path(trial, a, b)
        assert g.contract_edge(a, b) == expect_ok
        if expect_ok:
            ref = nx.contracted_nodes(ref, a, b, self_loops=False)
        assert nx.is_directed_acyclic_graph(ref)
        alive = [x for x in range(n) if g.alive[x]]
        assert sorted(alive) == sorted(ref.nodes)
        assert {(x, y) for x in alive for y in g.succ[x]} == set(ref.edges)
        for x, y in ref.edges:
            assert g.rank[x] < g.rank[y]
