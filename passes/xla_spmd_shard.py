"""xla-spmd-shard: XLA SPMD sharding of TPU functions (the converter's XlaShardingOptions).

    xla-spmd-shard{num-cores-per-replica=2 topology=HEX device-assignment=0,0,0,0,0,1,0,0
                   overrides=dense.*kernel:0,x:replicate}

Applies to TPU functions (function attr `smopt.tpu_function = true`).

Options, as in `XlaShardingOptions`:
- `num-cores-per-replica`: cores one replica is split across with XLA SPMD (>= 1).
- `topology`: hex of a serialized `tensorflow.tpu.TopologyProto`; required when
  num-cores-per-replica > 1 (pf_1x2x1 with megacore and df_1x1 both have 2 cores, but
  mesh_shape [1,2,1,1] vs [1,1,1,2]). mesh_shape must have 4 positive entries [x, y, z, core];
  device_coordinates must list every device of the mesh once, 4 entries per device
  (num_tasks * num_tpu_devices_per_task devices when those are set).
- `device-assignment`: flattened [x, y, z, core] per logical core, num-cores-per-replica * 4
  entries, each a distinct device of the topology. Default: the topology's first
  num-cores-per-replica devices in device_coordinates order.
- `overrides`: `REGEX:DIM` (split dimension DIM) or `REGEX:replicate`, matched with
  `re.search` against a weight's variable path and its resource argument's name, or an
  input argument's name; the first matching override wins; each must match something.

What it writes:
- `XlaSharding` ops (attrs T, sharding = serialized xla.OpSharding, the same bytes in
  `_XlaSharding`, which tf2xla reads, and unspecified_dims = []; REPLICATED serializes to
  the empty string, as TF's own xla_sharding.replicate() does; the IR-only attr
  `smopt.sharding` spells the sharding as HLO does, e.g. `{devices=[1,2]0,1}`) on
  * every weight: each `ReadVariableOp` result of a resource argument. Default policy: split
    the largest static dimension divisible by num-cores-per-replica (ties: the later
    dimension) into num-cores-per-replica tiles (OpSharding type OTHER,
    tile_assignment_dimensions 1..n..1, tile_assignment_devices 0..n-1, logical cores);
    weights with no such dimension (scalars, odd sizes) and everything when there is one
    core are REPLICATED. This is the pattern TF's sharding identification follows from a
    resource argument through its ReadVariableOp.
  * every non-resource input argument: REPLICATED by default (the batch dimension is
    dynamic), or split per an override.
  On CPU, XlaSharding is an identity (TF registers a CPU kernel), so the converted model
  still runs without a TPU.
- The replication metadata: on a `TPUReplicateMetadata` op in the TPU function (if
  tpu-insert-call-stubs already put one there) the attrs num_cores_per_replica, topology
  (serialized TopologyProto), device_assignment and use_spmd_for_xla_partitioning = true;
  otherwise the same four values as function attrs `smopt.sharding.<attr name>` for the stub
  pass to copy onto the op it creates (`replicate_metadata_attrs(fn)` returns them).
  `smopt.sharding.mesh_shape` records the topology's mesh shape for readers of the IR.
  In a function that is already a TPU program (metadata op with `_tpu_replicate`), the new
  XlaSharding ops get the same `_tpu_replicate`, and inputs are annotated after their
  TPUReplicatedInput / `_tpu_input_identity` Identity, where they enter the computation.
Values that already feed an XlaSharding op are left alone (the model's own annotations win),
so the pass is idempotent; every XlaSharding op already in a TPU function must fit
num-cores-per-replica (a tiling over that many devices, or a device below it).
"""
from __future__ import annotations

import math
import re

from smopt.ir import types as T
from smopt.ir.builder import Builder
from smopt.ir.core import Argument, Op, OpResult

from smopt.passes.framework.registry import Pass, PassError, option, register

FN_ATTR = "smopt.tpu_function"
META_PREFIX = "smopt.sharding."
META_ATTRS = ("num_cores_per_replica", "topology", "device_assignment", "use_spmd_for_xla_partitioning")
REPLICATED, MAXIMAL, OTHER = 0, 1, 3  # xla.OpSharding.Type


def replicate_metadata_attrs(fn):
    """The TPUReplicateMetadata attrs this pass recorded on `fn` (empty dict if none)."""
    return {k: fn.attrs[META_PREFIX + k] for k in META_ATTRS if META_PREFIX + k in fn.attrs}


def _attr_string(b):
    """An AttrValue `s` payload as the importer represents it (str when UTF-8, else bytes)."""
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return bytes(b)


def _attr_bytes(s):
    return s.encode("utf-8") if isinstance(s, str) else bytes(s)


def _fmt(seq):
    return "[" + ",".join(str(x) for x in seq) + "]"


# ---- options -> validated configuration ------------------------------------------------
class Topology:
    """The parts of a TopologyProto the converter needs, validated."""

    def __init__(self, raw, mesh_shape, coords):
        self.raw = raw                  # serialized bytes, as given
        self.mesh_shape = mesh_shape    # [x, y, z, core]
        self.coords = coords            # list of (x, y, z, core), one per device

    @property
    def num_devices(self):
        return len(self.coords)


def parse_topology(hex_text):
    """Decode and validate the `topology` option; raises PassError with one line."""
    from smopt.compiler import tfproto  # protobuf only; no TensorFlow

    text = hex_text.strip()
    if text[:2] in ("0x", "0X"):
        text = text[2:]
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise PassError(f"topology must be the hex of a serialized tensorflow.tpu.TopologyProto, "
                        f"got '{hex_text[:40]}'") from None
    proto = tfproto.message("tensorflow.tpu.TopologyProto")()
    try:
        proto.ParseFromString(raw)
    except Exception:
        raise PassError("topology does not parse as a serialized tensorflow.tpu.TopologyProto") from None
    mesh = list(proto.mesh_shape)
    if len(mesh) != 4:
        raise PassError(f"topology mesh_shape must have 4 entries [x, y, z, core], got {_fmt(mesh)}")
    if any(m < 1 for m in mesh):
        raise PassError(f"topology mesh_shape entries must be positive, got {_fmt(mesh)}")
    num = math.prod(mesh)
    if proto.num_tasks < 0 or proto.num_tpu_devices_per_task < 0:
        raise PassError(f"topology num_tasks ({proto.num_tasks}) and num_tpu_devices_per_task "
                        f"({proto.num_tpu_devices_per_task}) must not be negative")
    if proto.num_tasks or proto.num_tpu_devices_per_task:
        per_tasks = proto.num_tasks * proto.num_tpu_devices_per_task
        if per_tasks != num:
            raise PassError(f"topology has num_tasks * num_tpu_devices_per_task = {proto.num_tasks} * "
                            f"{proto.num_tpu_devices_per_task} = {per_tasks} devices but mesh_shape "
                            f"{_fmt(mesh)} has {num}")
    dc = list(proto.device_coordinates)
    if len(dc) != 4 * num:
        raise PassError(f"topology device_coordinates must have 4 entries [x, y, z, core] per device: "
                        f"mesh_shape {_fmt(mesh)} has {num} devices, so {4 * num} entries, got {len(dc)}")
    coords = _mesh_coords(dc, num, mesh, "topology device_coordinates", "device", "mesh_shape", "at")
    return Topology(raw, mesh, coords)


def _mesh_coords(flat, count, mesh, what, unit, mesh_label, placed):
    """`count` [x, y, z, core] tuples from `flat`, each inside `mesh` and all distinct; the
    PassError names `what` and the offending `unit` (device or core)."""
    coords, seen = [], {}
    for i in range(count):
        c = tuple(flat[4 * i:4 * i + 4])
        if not all(0 <= c[k] < mesh[k] for k in range(4)):
            raise PassError(f"{what}: {unit} {i} at {_fmt(c)} lies outside {mesh_label} {_fmt(mesh)}")
        if c in seen:
            raise PassError(f"{what}: {unit}s {seen[c]} and {i} are both {placed} {_fmt(c)}")
        seen[c] = i
        coords.append(c)
    return coords


def resolve_device_assignment(num_cores, assignment, topo):
    """The flattened [x, y, z, core] per logical core (explicit, or the topology's first
    `num_cores` devices); raises PassError."""
    if assignment:
        if topo is None:
            raise PassError("device_assignment needs a topology (the coordinates refer to its mesh)")
        if len(assignment) != 4 * num_cores:
            raise PassError(f"device_assignment must have num_cores_per_replica * 4 = {4 * num_cores} "
                            f"entries in [x, y, z, core] format, got {len(assignment)}")
        _mesh_coords(assignment, num_cores, topo.mesh_shape, "device_assignment", "core",
                     "the topology's mesh_shape", "assigned to")
        return list(assignment)
    if topo is None:
        return []
    return [x for c in topo.coords[:num_cores] for x in c]


class Override:
    def __init__(self, text):
        self.text = text
        pattern, sep, spec = text.rpartition(":")
        if not sep or not pattern:
            raise PassError(f"override '{text}' must be REGEX:DIM or REGEX:replicate")
        if spec == "replicate":
            self.dim = None
        else:
            try:
                self.dim = int(spec)
            except ValueError:
                raise PassError(f"override '{text}' must be REGEX:DIM or REGEX:replicate "
                                f"(DIM a dimension index)") from None
            if self.dim < 0:
                raise PassError(f"override '{text}': the dimension must be >= 0")
        try:
            self.regex = re.compile(pattern)
        except re.error as e:
            raise PassError(f"override '{text}': bad regular expression: {e}") from None
        self.used = False

    def matches(self, names):
        return any(n and self.regex.search(n) for n in names)


# ---- the weights of a function -----------------------------------------------------------
def bound_variable(module, arg, _seen=None):
    """The model variable a resource argument is bound to, through callers if need be."""
    nid = arg.attrs.get("tf_saved_model.bound_input")
    if isinstance(nid, int):
        return module.variable_by_node(nid)
    _seen = set() if _seen is None else _seen
    if arg.function is None or arg.function.name in _seen:
        return None
    _seen.add(arg.function.name)
    found = set()
    for caller in module.all_functions():
        for op in caller.ops:
            if op.callee != arg.function.name or arg.index >= len(op.operands):
                continue
            src = op.operands[arg.index]
            var = None
            if isinstance(src, Argument):
                var = bound_variable(module, src, _seen)
            elif isinstance(src, OpResult) and src.op.type == "VarHandleOp":
                shared = src.op.attrs.get("shared_name")
                var = next((v for v in module.variables if v.name == shared), None)
            if var is None:
                return None
            found.add(id(var))
            if len(found) > 1:
                return None  # callers disagree: not one variable
            result = var
    return result if found else None


def _sharding_proto(dim, rank, n):
    from smopt.compiler import tfproto

    s = tfproto.message("xla.OpSharding")()
    if dim is None or n == 1:
        s.type = REPLICATED
    else:
        s.type = OTHER
        s.tile_assignment_dimensions.extend([n if i == dim else 1 for i in range(rank)])
        s.tile_assignment_devices.extend(range(n))
    return s.SerializeToString(deterministic=True)


def sharding_text(dim, rank, n):
    """XLA's HLO spelling of the sharding (`{replicated}`, `{devices=[1,2]0,1}`), for readers."""
    if dim is None or n == 1:
        return "{replicated}"
    tiles = ",".join(str(n if i == dim else 1) for i in range(rank))
    return "{devices=[" + tiles + "]" + ",".join(str(i) for i in range(n)) + "}"


def _cluster_entry(arg):
    """(value, defining op) where argument `arg` enters the TPU computation: the argument
    itself, or in a TPU program the `_tpu_input_identity` Identity (or TPUReplicatedInput)
    that tpu-insert-call-stubs puts behind it."""
    users = arg.users()   # ops, or the function itself where the argument is returned
    if len(users) == 1 and isinstance(users[0], Op) and users[0].type == "TPUReplicatedInput":
        rep = users[0]
        nxt = rep.results[0].users()
        if len(nxt) == 1 and isinstance(nxt[0], Op) and nxt[0].type == "Identity" \
                and nxt[0].attrs.get("_tpu_input_identity"):
            return nxt[0].results[0], nxt[0]
        return rep.results[0], rep
    return arg, None


def _has_sharding_user(value):
    return any(isinstance(u, Op) and u.type == "XlaSharding" for u, _ in value.uses)


def annotate(fn, value, dim, n, name, anchor=None):
    """Insert `XlaSharding(value)` splitting `dim` (None: replicated) across `n` cores, after
    `anchor` or first in `fn`, and route every use of `value` through it. Returns the op."""
    rank = value.type.rank if value.type.shape is not None else 0
    s = _attr_string(_sharding_proto(dim, rank, n))
    b = Builder.after(anchor) if anchor is not None else Builder.at_start(fn)
    op = b.create("XlaSharding", (), [value.type],
                  {"T": value.type.dtype, "sharding": s, "_XlaSharding": s, "unspecified_dims": [],
                   "smopt.sharding": sharding_text(dim, rank, n)}, name)
    value.replace_all_uses_with(op.results[0])   # before the op reads `value` itself
    op.add_operand(value)
    return op


@register
class XlaSpmdShard(Pass):
    name = "xla-spmd-shard"
    title = "XlaSpmdShard"
    summary = "Annotate TPU functions for XLA SPMD partitioning across num-cores-per-replica cores"
    num_cores_per_replica: int = option(1, "cores one replica is split across (XLA SPMD)")
    device_assignment: list[int] = option(
        [], "flattened [x,y,z,core] per logical core (default: the topology's first devices)")
    topology: str = option(
        "", "hex of a serialized tensorflow.tpu.TopologyProto "
        "(required when num-cores-per-replica > 1)")
    overrides: list[str] = option(
        [], "REGEX:DIM or REGEX:replicate per weight (variable path or argument name) or input")
    statistics = {
        "num-functions": "Number of TPU functions sharded",
        "num-weights-split": "Number of weight reads annotated with a tiled sharding",
        "num-weights-replicated": "Number of weight reads annotated as replicated",
        "num-inputs-annotated": "Number of input arguments annotated",
        "num-metadata-ops": "Number of TPUReplicateMetadata ops updated",
    }

    def _config(self):
        n = self.num_cores_per_replica
        if n < 1:
            raise PassError(f"num_cores_per_replica must be >= 1, got {n}")
        topo = parse_topology(self.topology) if self.topology else None
        if n > 1 and topo is None:
            raise PassError(f"topology is required when num_cores_per_replica > 1 (got num_cores_per_replica "
                            f"= {n}): the core count alone is ambiguous (pf_1x2x1 vs df_1x1)")
        if topo is not None and topo.num_devices < n:
            raise PassError(f"topology has {topo.num_devices} devices (mesh_shape {_fmt(topo.mesh_shape)}), "
                            f"fewer than num_cores_per_replica = {n}")
        assignment = resolve_device_assignment(n, self.device_assignment, topo)
        overrides = [Override(t) for t in self.overrides]
        return n, topo, assignment, overrides

    def run(self, module):
        n, topo, assignment, overrides = self._config()
        tpu_fns = [f for f in module.functions.values() if f.attrs.get(FN_ATTR) is True]
        if not tpu_fns:
            raise PassError("no TPU function to shard: mark one with the function attribute "
                            "smopt.tpu_function = true (tpu-select-functions does)")
        meta = {"num_cores_per_replica": n, "topology": _attr_string(topo.raw) if topo else "",
                "device_assignment": list(assignment), "use_spmd_for_xla_partitioning": True}
        for fn in tpu_fns:
            self._shard_function(module, fn, n, overrides)
            self._write_metadata(fn, meta, topo)
            self.bump("num-functions")
        for o in overrides:
            if not o.used:
                raise PassError(f"override '{o.text}' matches no weight or input of the TPU functions")

    # ---- annotations -----------------------------------------------------------------
    def _choose(self, names, ttype, n, overrides, what):
        """(dim or None, override or None) for a value of type `ttype`; the first matching
        override decides (every matching one counts as used)."""
        hits = [o for o in overrides if o.matches(names)]
        for o in hits:
            o.used = True
        if not hits:
            return None, None
        o = hits[0]
        if o.dim is None:
            return None, o
        shape = ttype.shape
        if shape is None:
            raise PassError(f"override '{o.text}' splits dimension {o.dim} of {what} ({ttype}), "
                            f"whose rank is unknown")
        if o.dim >= len(shape):
            raise PassError(f"override '{o.text}' splits dimension {o.dim} of {what} ({ttype}), "
                            f"which has rank {len(shape)}")
        size = shape[o.dim]
        if size >= 0 and size % n:
            raise PassError(f"override '{o.text}' splits dimension {o.dim} of {what} ({ttype}), whose "
                            f"size {size} is not divisible by num_cores_per_replica = {n}")
        return o.dim, o

    @staticmethod
    def _default_weight_dim(ttype, n):
        if n == 1 or ttype.shape is None:
            return None
        best = None
        for d, size in enumerate(ttype.shape):
            if size > 0 and size % n == 0 and (best is None or size >= ttype.shape[best]):
                best = d
        return best

    @staticmethod
    def _check_existing(fn, n):
        """Annotations already in `fn` (the model's own, or an earlier run) must fit n cores."""
        from smopt.compiler import tfproto
        for op in fn.ops:
            if op.type != "XlaSharding":
                continue
            s = tfproto.message("xla.OpSharding")()
            try:
                s.ParseFromString(_attr_bytes(op.attrs.get("_XlaSharding", op.attrs.get("sharding", ""))))
            except Exception:
                raise PassError(f"XlaSharding '{op.name}' in @{fn.name} has a sharding that does not parse "
                                f"as xla.OpSharding") from None
            if s.type == OTHER and math.prod(s.tile_assignment_dimensions) != n:
                raise PassError(f"XlaSharding '{op.name}' in @{fn.name} tiles over "
                                f"{math.prod(s.tile_assignment_dimensions)} devices but num_cores_per_replica = {n}")
            if s.type == MAXIMAL and any(d >= n for d in s.tile_assignment_devices):
                raise PassError(f"XlaSharding '{op.name}' in @{fn.name} is assigned to device "
                                f"{max(s.tile_assignment_devices)} but num_cores_per_replica = {n}")

    def _shard_function(self, module, fn, n, overrides):
        self._check_existing(fn, n)
        # A TPU program already (tpu-insert-call-stubs ran first): new ops join its cluster,
        # and inputs are annotated where they enter it.
        cluster = next((op.attrs.get("_tpu_replicate") for op in fn.ops
                        if op.type == "TPUReplicateMetadata" and op.attrs.get("_tpu_replicate")), None)
        extra = {"_tpu_replicate": cluster} if cluster else {}
        # Weights: ReadVariableOp results of resource arguments.
        for op in list(fn.ops):
            if op.type != "ReadVariableOp" or not op.operands or not isinstance(op.operands[0], Argument):
                continue
            arg, value = op.operands[0], op.results[0]
            if arg.function is not fn or _has_sharding_user(value):
                continue
            var = bound_variable(module, arg)
            label = f"weight '{var.path}'" if var is not None else f"weight %{arg.name}"
            names = ([var.path, var.name] if var is not None else []) + [arg.name]
            dim, o = self._choose(names, value.type, n, overrides, label)
            if o is None:
                dim = self._default_weight_dim(value.type, n)
            annotate(fn, value, dim, n, f"{op.name}/XlaSharding", anchor=op).attrs.update(extra)
            self.bump("num-weights-split" if dim is not None and n > 1 else "num-weights-replicated")
        # Inputs: data arguments.
        for arg in fn.args:
            dt = arg.type.dtype
            if dt in (T.resource, T.variant, T.string) or not arg.uses:
                continue
            value, anchor = _cluster_entry(arg)
            if _has_sharding_user(value):
                continue
            dim, _ = self._choose([arg.name], arg.type, n, overrides, f"input %{arg.name}")
            annotate(fn, value, dim, n, f"{arg.name}/XlaSharding", anchor=anchor).attrs.update(extra)
            self.bump("num-inputs-annotated")

    # ---- metadata --------------------------------------------------------------------
    def _write_metadata(self, fn, meta, topo):
        ops = [op for op in fn.ops if op.type == "TPUReplicateMetadata"]
        for op in ops:
            op.attrs.update(meta)
            self.bump("num-metadata-ops")
        if not ops:
            for k, v in meta.items():
                fn.attrs[META_PREFIX + k] = v
        if topo is not None:
            fn.attrs[META_PREFIX + "mesh_shape"] = list(topo.mesh_shape)
