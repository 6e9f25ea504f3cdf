"""xla-spmd-shard end to end: annotations in the IR, the exported model on TF's CPU runtime,
and real SPMD execution of the sharded TPU function with JAX on 8 virtual CPU devices."""
import os

import numpy as np
import pytest

from smopt.compiler.importer import import_saved_model
from smopt.ir import opdefs
from smopt.ir.core import Argument
from smopt.passes.framework.registry import REGISTRY, load_all
from tests import models_sharding as ms


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    """(model dir, inputs, reference tpu_func outputs, reference serving outputs)."""
    import tensorflow as tf
    path = str(tmp_path_factory.mktemp("sharding") / "mlp")
    ms.build_mlp_model(path)
    x = ms.mlp_inputs()
    loaded = tf.saved_model.load(path)
    ref = loaded.tpu_func(x).numpy()
    ref_sig = loaded.signatures["serving_default"](x=x)["logits"].numpy()
    return path, x, ref, ref_sig


def _annotations(fn):
    """{variable path or arg name: HLO-style sharding} of the XlaSharding ops in `fn`."""
    from smopt.passes.analysis.variables import STRICT, ResourceAnalysis
    from smopt.passes.xla_spmd_shard import bound_variable
    resources = ResourceAnalysis(fn.module, STRICT)
    out = {}
    for op in fn.ops:
        if op.type != "XlaSharding":
            continue
        src = op.operands[0]
        if isinstance(src, Argument):
            out[src.name] = op.attrs["smopt.sharding"]
        else:
            var = bound_variable(resources, src.op.operands[0])
            out[var.path] = op.attrs["smopt.sharding"]
        assert op.attrs["sharding"] == op.attrs["_XlaSharding"]
    return out


def test_xla_sharding_op_def():
    """The op the pass writes exists with the attrs it sets (T, sharding, unspecified_dims)."""
    d = opdefs.lookup("XlaSharding")
    assert set(d["attrs"]) == {"T", "sharding", "unspecified_dims"}


@pytest.mark.parametrize("cores,topology,expected", [
    (2, "pf_1x2x1", {"x": "{replicated}", "ws/0": "{devices=[1,2]0,1}", "bs/0": "{devices=[2]0,1}",
                     "ws/1": "{devices=[2,1]0,1}", "bs/1": "{devices=[2]0,1}"}),
    (4, "df_2x2", {"x": "{replicated}", "ws/0": "{devices=[1,4]0,1,2,3}", "bs/0": "{devices=[4]0,1,2,3}",
                   "ws/1": "{devices=[4,1]0,1,2,3}", "bs/1": "{devices=[4]0,1,2,3}"}),
])
def test_default_policy_annotations(mlp, cores, topology, expected):
    m = import_saved_model(mlp[0])
    fn = ms.mark_tpu_function(m)
    p = ms.shard(m, cores, topology)
    assert _annotations(fn) == expected
    assert p.stats["num-weights-split"] == 4 and p.stats["num-inputs-annotated"] == 1
    assert fn.attrs["smopt.sharding.num_cores_per_replica"] == cores
    assert fn.attrs["smopt.sharding.mesh_shape"] == ms.TOPOLOGIES[topology][0]
    # Only the TPU function is touched.
    others = [f for f in m.functions.values() if f is not fn]
    assert not any(op.type == "XlaSharding" for f in others for op in f.ops)


def test_sharded_model_runs_on_tf_cpu(mlp, tmp_path):
    """XlaSharding is an identity on TF's CPU runtime: the exported model gives the same bits."""
    import tensorflow as tf
    from smopt.compiler import tfproto
    from smopt.compiler.exporter import export_saved_model
    path, x, ref, ref_sig = mlp
    m = import_saved_model(path)
    fn = ms.mark_tpu_function(m)
    ms.shard(m, 2, "pf_1x2x1")
    out = str(tmp_path / "sharded")
    export_saved_model(m, out)
    sm = tfproto.SavedModel()
    with open(os.path.join(out, "saved_model.pb"), "rb") as f:
        sm.ParseFromString(f.read())
    fdef = next(f for f in sm.meta_graphs[0].graph_def.library.function if f.signature.name == fn.name)
    nodes = [n for n in fdef.node_def if n.op == "XlaSharding"]
    assert len(nodes) == 5
    assert all(n.attr["_XlaSharding"].s == n.attr["sharding"].s for n in nodes)
    assert not any("smopt." in k for n in nodes for k in n.attr)   # IR-only attrs stay in the IR
    loaded = tf.saved_model.load(out)
    np.testing.assert_array_equal(loaded.tpu_func(x).numpy(), ref)
    np.testing.assert_array_equal(loaded.signatures["serving_default"](x=x)["logits"].numpy(), ref_sig)


@pytest.mark.parametrize("cores,topology,assignment,overrides,mesh_devices", [
    # pf_1x2x1: the topology's two devices in order.
    (2, "pf_1x2x1", None, None, [0, 1]),
    # df_2x2 with an explicit assignment: logical cores 0..3 at [1,1,0,1], [1,1,0,0], [0,0,0,1],
    # [0,0,0,0] are the topology's devices 7, 6, 1, 0; the first kernel split by rows instead.
    (4, "df_2x2", [1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], ["^ws/0$:0"], [7, 6, 1, 0]),
])
def test_spmd_execution_in_jax(mlp, tmp_path, cores, topology, assignment, overrides, mesh_devices):
    path, x, ref, _ = mlp
    m = import_saved_model(path)
    fn = ms.mark_tpu_function(m)
    ms.shard(m, cores, topology, assignment, overrides)
    values = ms.variable_values(m)
    r = ms.run_jax_harness(m, values, x, ref, str(tmp_path))
    print(f"\n{cores} cores on {topology}: devices {r['mesh_devices']}, specs {r['specs']}, "
          f"per-device weight bytes {r['per_device_weight_bytes']} of {r['total_weight_bytes']}, "
          f"max |err| {r['max_abs_err']:.2e}")
    assert r["num_cores"] == cores
    assert r["mesh_devices"] == mesh_devices
    # Same numbers as TF's unsharded run (float32; a row-split matmul sums partials across cores).
    assert r["max_abs_err"] < 1e-5 and r["max_abs_err_replicated_inputs"] < 1e-5
    # Every weight is split across all cores: each device holds exactly 1/cores of the bytes.
    assert set(r["per_device_weight_bytes"]) == {str(d) for d in mesh_devices}
    assert all(b * cores == r["total_weight_bytes"] for b in r["per_device_weight_bytes"].values())
    if overrides:
        assert r["specs"]["ws/0"] == "P('cores', None)"
    # The annotations alone make XLA partition replicated weights (per-core shapes appear),
    # which the same function without them does not.
    # (Checked on the kernels, whose per-core shapes no other value of the model has.)
    assert all(r["shard_shapes_in_hlo"].values()), r["shard_shapes"]
    assert not any(r["shard_shapes_in_hlo_without_annotations"][k] for k in ("ws/0", "ws/1"))
    assert _annotations(fn)  # the IR still carries them


@pytest.mark.parametrize("target", ["cpu", "tpu"])
def test_converter_xla_sharding_options(mlp, tmp_path, target):
    """smopt-convert with xla_sharding_options: the TPU program's TPUReplicateMetadata gets the
    values (target tpu); the CPU variant computes the same outputs (target cpu)."""
    load_all()
    needed = ("tpu-select-functions", "tpu-check-indirect-calls", "tpu-compatibility-check",
              "tpu-insert-call-stubs", "tpu-conversion-report")
    missing = [n for n in needed if n not in REGISTRY]
    if missing:
        pytest.skip(f"TPU conversion passes not available yet: {missing}")
    import tensorflow as tf
    from smopt.compiler.convert import convert
    path, x, ref, ref_sig = mlp
    topo = ms.topology_hex("df_1x1")
    topo_escaped = "".join(f"\\x{topo[i:i + 2]}" for i in range(0, len(topo), 2))
    opts = f'''tpu_functions {{ function_alias: "tpu_func" }}
               disable_default_optimizations: true
               xla_sharding_options {{ num_cores_per_replica: 2 topology: "{topo_escaped}" }}'''
    out = str(tmp_path / "converted")
    module, pm = convert(path, out, opts, target=target)
    shard = next(p for p in pm.passes if p.name == "xla-spmd-shard")
    assert shard.stats["num-weights-split"] == 4
    fn = module.functions[module.alias_function("tpu_func")]
    assert sum(op.type == "XlaSharding" for op in fn.ops) == 5
    if target == "tpu":
        meta = next(op for op in fn.ops if op.type == "TPUReplicateMetadata")
        assert meta.attrs["num_cores_per_replica"] == 2
        assert meta.attrs["device_assignment"] == [0, 0, 0, 0, 0, 0, 0, 1]
        assert meta.attrs["use_spmd_for_xla_partitioning"] is True
        from smopt.passes.xla_spmd_shard import _attr_bytes
        assert _attr_bytes(meta.attrs["topology"]).hex() == topo
    else:
        loaded = tf.saved_model.load(out)
        np.testing.assert_array_equal(loaded.signatures["serving_default"](x=x)["logits"].numpy(), ref_sig)
