"""A dense TPU model for the xla-spmd-shard tests and benchmark, and the JAX harness that runs
a sharded TPU function on virtual CPU devices.

The harness (`python tests/models_sharding.py jax IR_FILE VALUES_NPZ OUT_JSON [REPEAT]`, run in a
fresh process so that XLA_FLAGS=--xla_force_host_platform_device_count=8 applies) does:
1. parse the sharded IR text, find the TPU function (`smopt.tpu_function`) and its
   replication metadata (TPUReplicateMetadata attrs or `smopt.sharding.*` function attrs);
2. build a jax Mesh of num_cores_per_replica devices: logical core i -> the [x,y,z,core]
   of the device assignment -> its index in the topology's device_coordinates -> that
   virtual CPU device (so pf_1x2x1, df_1x1 and df_2x2 pick different devices);
3. turn the TPU function into a TF function that takes the weights as arguments (each
   `ReadVariableOp` of a resource argument becomes an argument; the `XlaSharding` ops
   stay), export it with smopt's exporter and wrap it for `jax.experimental.jax2tf.call_tf`,
   which compiles it with tf2xla: the XlaSharding ops become XLA sharding annotations;
4. place each weight with the `NamedSharding` its XlaSharding annotation maps to (a split
   of dimension d -> PartitionSpec with the mesh axis at d; REPLICATED -> P()), run under
   jax.jit and compare with the reference outputs; report per-device weight bytes;
5. run again with every weight replicated: the annotations alone must make XLA partition
   the weights (the compiled module then holds the per-core weight shapes, which the same
   function without its XlaSharding ops does not);
6. with REPEAT > 0, time best-of-REPEAT calls of the sharded function and of that
   unannotated function with replicated weights (the unsharded peer).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

MESH_AXIS = "cores"

# Seed topologies (XlaShardingOptions comments) as (mesh_shape, device_coordinates).
TOPOLOGIES = {
    "pf_1x2x1": ([1, 2, 1, 1], [[0, 0, 0, 0], [0, 1, 0, 0]]),
    "df_1x1": ([1, 1, 1, 2], [[0, 0, 0, 0], [0, 0, 0, 1]]),
    "df_2x2": ([2, 2, 1, 2], [[0, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, 0], [0, 1, 0, 1],
                              [1, 0, 0, 0], [1, 0, 0, 1], [1, 1, 0, 0], [1, 1, 0, 1]]),
}


def topology_hex(name):
    from smopt.compiler import tfproto
    mesh, coords = TOPOLOGIES[name]
    t = tfproto.message("tensorflow.tpu.TopologyProto")(
        mesh_shape=mesh, device_coordinates=[c for d in coords for c in d])
    return t.SerializeToString().hex()


def build_mlp_model(path, sizes=(16, 32, 8), seed=0):
    """An MLP whose layers live in an aliased `tpu_func`; `serve` post-processes on the CPU."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            rng = np.random.default_rng(seed)
            self.ws, self.bs = [], []
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
                self.ws.append(tf.Variable((rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32),
                                           name=f"dense_{i}/kernel"))
                self.bs.append(tf.Variable((rng.standard_normal((b,)) * 0.1).astype(np.float32),
                                           name=f"dense_{i}/bias"))

        @tf.function(input_signature=[tf.TensorSpec([None, sizes[0]], tf.float32)])
        def tpu_func(self, x):
            h = x
            for i, (w, b) in enumerate(zip(self.ws, self.bs)):
                h = tf.matmul(h, w) + b
                if i < len(self.ws) - 1:
                    h = tf.nn.relu(h)
            return h

        @tf.function(input_signature=[tf.TensorSpec([None, sizes[0]], tf.float32)])
        def serve(self, x):
            return {"logits": self.tpu_func(x) * 1.0}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve},
                        options=tf.saved_model.SaveOptions(function_aliases={"tpu_func": m.tpu_func}))
    return path


def mlp_inputs(batch=6, features=16, seed=1):
    return np.random.default_rng(seed).standard_normal((batch, features)).astype(np.float32)


def mark_tpu_function(module, alias="tpu_func"):
    """What tpu-select-functions does for a function alias (by hand: the tests need no more)."""
    fn = module.functions[module.alias_function(alias)]
    fn.attrs["smopt.tpu_function"] = True
    return fn


def shard(module, num_cores, topology=None, device_assignment=None, overrides=None):
    from smopt.compiler.pass_manager import PassManager
    from smopt.passes.framework.registry import parse_pipeline
    opts = [f"num-cores-per-replica={num_cores}"]
    if topology:
        opts.append(f"topology={topology_hex(topology)}")
    if device_assignment:
        opts.append("device-assignment=" + ",".join(str(d) for d in device_assignment))
    if overrides:
        opts.append("overrides=" + ",".join(overrides))
    pm = PassManager(parse_pipeline("xla-spmd-shard{" + " ".join(opts) + "}"))
    pm.run(module)
    return pm.passes[0]


def variable_values(module):
    return {v.path: np.asarray(module.read_variable(v)) for v in module.variables}


# ---- the harness, parent side ------------------------------------------------------------
def run_jax_harness(module, values, x, ref, workdir, timeout=600, repeat=0):
    """Write the sharded module and the values, run the harness in a fresh process; returns
    its JSON report (raises with the child's output on failure)."""
    from smopt.ir import print_module
    ir_path = os.path.join(workdir, "sharded.mlir")
    npz_path = os.path.join(workdir, "values.npz")
    out_path = os.path.join(workdir, "report.json")
    with open(ir_path, "w") as f:
        f.write(print_module(module))
    np.savez(npz_path, __x__=x, __ref__=ref, **{"var:" + k: v for k, v in values.items()})
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8",
               TF_CPP_MIN_LOG_LEVEL="2", JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "jax", ir_path, npz_path, out_path,
                           str(repeat)],
                          capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"JAX harness failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-4000:]}")
    with open(out_path) as f:
        return json.load(f)


# ---- the harness, child side -------------------------------------------------------------
def _metadata(fn):
    from smopt.passes.xla_spmd_shard import replicate_metadata_attrs
    for op in fn.ops:
        if op.type == "TPUReplicateMetadata":
            return {k: op.attrs.get(k) for k in ("num_cores_per_replica", "topology", "device_assignment")}
    return replicate_metadata_attrs(fn)


def _partition_spec(sharding_attr, rank):
    """xla.OpSharding (serialized) -> PartitionSpec over the single mesh axis."""
    from jax.sharding import PartitionSpec as P
    from smopt.compiler import tfproto
    from smopt.passes.xla_spmd_shard import OTHER, REPLICATED, _attr_bytes
    s = tfproto.message("xla.OpSharding")()
    s.ParseFromString(_attr_bytes(sharding_attr))
    if s.type == REPLICATED:
        return P()
    if s.type != OTHER:
        raise ValueError(f"unsupported OpSharding type {s.type}")
    dims = list(s.tile_assignment_dimensions)
    if len(dims) != rank or sum(d > 1 for d in dims) > 1 or list(s.tile_assignment_devices) != list(range(max(dims))):
        raise ValueError(f"unsupported tiling {dims} / {list(s.tile_assignment_devices)}")
    return P(*[MESH_AXIS if d > 1 else None for d in dims])


def weights_as_args(module, fn, suffix="_weights_as_args"):
    """A copy of TPU function `fn` whose weights are arguments: [(arg name, variable path,
    XlaSharding attr or None)] for the new leading arguments, the copy, and the data inputs."""
    from smopt.ir import types as T
    from smopt.ir.core import Argument, Function, Op
    from smopt.passes.analysis.variables import STRICT, ResourceAnalysis
    from smopt.passes.xla_spmd_shard import bound_variable

    resources = ResourceAnalysis(module, STRICT)
    g = fn.clone(fn.name + suffix, module)
    g.attrs = {}
    weights = []
    for op in list(g.ops):
        if op.type != "ReadVariableOp" or not isinstance(op.operands[0], Argument):
            continue
        var = bound_variable(resources, fn.args[op.operands[0].index])
        value = op.results[0]
        sharding = next((u.attrs.get("sharding") for u, _ in value.uses
                         if isinstance(u, Op) and u.type == "XlaSharding"), None)
        name = "w_" + "".join(c if c.isalnum() else "_" for c in var.path).lower() + f"_{len(weights)}"
        arg = g.add_argument(name, value.type)
        value.replace_all_uses_with(arg)
        for user, _ in list(op.control.uses):
            if isinstance(user, Function):
                user.set_control_rets([(n, t) for n, t in user.control_rets if t is not op.control])
            else:
                user.remove_control_input(op.control)
        op.erase()
        weights.append((name, var.path, sharding))
    for i in reversed(range(len(g.args))):
        if g.args[i].type.dtype == T.resource and not g.args[i].uses:
            g.erase_argument(i)
    inputs = [a.name for a in g.args if a.name not in {w[0] for w in weights}]
    return g, weights, inputs


def tf_callable(module, g, rename=None):
    """A TF concrete function running IR function `g` (via a FunctionDef and PartitionedCall)."""
    import tensorflow as tf
    from smopt.compiler import tfproto
    from smopt.compiler.exporter import _Layouts, function_to_proto
    from smopt.passes.analysis.traits import SideEffects

    if rename:
        g = g.clone(g.name + rename, module)
    gd = tfproto.GraphDef()
    function_to_proto(g, gd.library.function.add(), _Layouts(module), SideEffects(module))
    names = []
    for a in g.args:
        nd = gd.node.add(name=a.name, op="Placeholder")
        nd.attr["dtype"].type = a.type.dtype.enum
        names.append(a.name)
    call = gd.node.add(name="call", op="PartitionedCall", input=names)
    call.attr["Tin"].list.type.extend([a.type.dtype.enum for a in g.args])
    call.attr["Tout"].list.type.extend([v.type.dtype.enum for v in g.returns])
    call.attr["f"].func.name = g.name
    gd.versions.producer = 2474
    wrapped = tf.compat.v1.wrap_function(
        lambda: tf.graph_util.import_graph_def(tf.compat.v1.GraphDef.FromString(gd.SerializeToString()), name=""), [])
    feeds = [wrapped.graph.get_tensor_by_name(f"{n}:0") for n in names]
    fetches = [wrapped.graph.get_tensor_by_name(f"call:{i}") for i in range(len(g.returns))]
    return wrapped.prune(feeds, fetches)


def _child(ir_path, npz_path, out_path, repeat=0):
    import jax
    from jax.experimental import jax2tf
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

    from smopt.ir import parse_module
    from smopt.passes.xla_spmd_shard import _attr_bytes, parse_topology

    devices = jax.devices()
    assert len(devices) == 8, f"expected 8 virtual CPU devices, got {devices}"
    repeat = int(repeat)
    with open(ir_path) as f:
        module = parse_module(f.read(), ir_path)
    data = np.load(npz_path)
    values = {k[4:]: data[k] for k in data.files if k.startswith("var:")}
    x, ref = data["__x__"], data["__ref__"]
    fn = next(f for f in module.functions.values() if f.attrs.get("smopt.tpu_function") is True)
    meta = _metadata(fn)
    n = int(meta["num_cores_per_replica"])
    topo = parse_topology(_attr_bytes(meta["topology"]).hex())
    da = list(meta["device_assignment"])
    coords = [tuple(da[4 * i:4 * i + 4]) for i in range(n)]
    mesh_devices = [devices[topo.coords.index(c)] for c in coords]
    mesh = Mesh(np.array(mesh_devices), (MESH_AXIS,))

    g, weights, inputs = weights_as_args(module, fn)
    assert inputs == [a.name for a in g.args[:len(inputs)]], "inputs must precede the weights"
    tf_fn = tf_callable(module, g)
    jfn = jax.jit(jax2tf.call_tf(tf_fn))

    x_spec = P()
    for op in fn.ops:
        if op.type == "XlaSharding" and op.operands[0] is fn.args[0]:
            x_spec = _partition_spec(op.attrs["sharding"], x.ndim)
    xs = jax.device_put(x, NamedSharding(mesh, x_spec))
    placed, specs, per_device, total = [], {}, {str(d.id): 0 for d in mesh_devices}, 0
    for name, path, sharding in weights:
        arr = values[path]
        spec = _partition_spec(sharding, arr.ndim) if sharding is not None else P()
        specs[path] = str(spec)
        a = jax.device_put(arr, NamedSharding(mesh, spec))
        placed.append(a)
        total += arr.nbytes
        for shard in a.addressable_shards:
            per_device[str(shard.device.id)] += shard.data.nbytes
    out = jfn(xs, *placed)
    out = out[0] if isinstance(out, (list, tuple)) else out
    err = float(np.max(np.abs(np.asarray(out) - ref)))

    # The annotations alone: all weights replicated on the mesh, XLA must still split them.
    repl = [jax.device_put(values[path], NamedSharding(mesh, P())) for _, path, _ in weights]
    lowered = jfn.lower(xs, *repl)
    hlo = lowered.compile().as_text()
    out_r = jfn(xs, *repl)
    out_r = out_r[0] if isinstance(out_r, (list, tuple)) else out_r
    err_r = float(np.max(np.abs(np.asarray(out_r) - ref)))
    shard_shapes = {}
    for name, path, sharding in weights:
        spec = _partition_spec(sharding, values[path].ndim) if sharding is not None else P()
        shape = list(values[path].shape)
        for d, axis in enumerate(spec):
            if axis == MESH_AXIS:
                shape[d] //= n
        shard_shapes[path] = "f32[" + ",".join(str(s) for s in shape) + "]"
    # Control: the same function without its XlaSharding ops and replicated weights.
    g0, _, _ = weights_as_args(module, fn, "_unannotated")
    for op in [o for o in g0.ops if o.type == "XlaSharding"]:
        op.results[0].replace_all_uses_with(op.operands[0])
        op.erase()
    hlo0 = jax.jit(jax2tf.call_tf(tf_callable(module, g0))).lower(xs, *repl).compile().as_text()
    timing = {}
    if repeat > 0:
        import time
        j0 = jax.jit(jax2tf.call_tf(tf_callable(module, g0, "_peer")))

        def best(f, args):
            jax.block_until_ready(f(*args))
            t = float("inf")
            for _ in range(repeat):
                t0 = time.perf_counter()
                jax.block_until_ready(f(*args))
                t = min(t, time.perf_counter() - t0)
            return t
        timing = {"sharded_s": best(jfn, [xs, *placed]), "unsharded_s": best(j0, [xs, *repl])}
    report = {
        "timing": timing,
        "num_cores": n, "mesh_devices": [d.id for d in mesh_devices], "specs": specs,
        "max_abs_err": err, "max_abs_err_replicated_inputs": err_r,
        "per_device_weight_bytes": per_device, "total_weight_bytes": total,
        "shard_shapes": shard_shapes,
        "shard_shapes_in_hlo": {p: s in hlo for p, s in shard_shapes.items()},
        "shard_shapes_in_hlo_without_annotations": {p: s in hlo0 for p, s in shard_shapes.items()},
        "output_sharding": str(getattr(out, "sharding", "")),
    }
    with open(out_path, "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report))


if __name__ == "__main__":
    if len(sys.argv) in (5, 6) and sys.argv[1] == "jax":
        os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
        _child(*sys.argv[2:])
    else:
        sys.exit("usage: models_sharding.py jax IR_FILE VALUES_NPZ OUT_JSON [REPEAT]")
