"""cpu-gpu-placement: split a tabular model between the host and the GPU with a minimum s-t cut.

String processing, vocabulary lookups and large embedding tables stay on the host; dense
compute goes to the accelerator; the data crossing between them is minimized.

The flow model (networkx), built over the functions the signatures run, calls expanded in
place (as TF inlines them at run time; If/While, XLA-compiled and recursive calls are
placed as one unit together with everything they run):

- source S = CPU side, sink T = GPU side; a node per op (or unit).
- host-only ops are tied to S with infinite capacity: string tensors, ops without a GPU
  kernel (the shared table `passes/analysis/xla_compat.py`, device "gpu"), ops pinned to the CPU by the
  model, ops using a resource that lives on the host (lookup tables, and variables of at least
  `host-table-bytes`: large embedding tables). Ops using a resource sit on its device
  (infinite edges both ways: TF colocates them). Signature inputs and outputs are on the host.
- compute: an op costs `cost_model.op_cost` per example on the CPU and `gpu-speedup` times
  less on the GPU; the difference (x batch size, converted with `flops-per-byte`) is an edge
  op -> T, paid when the op stays on the CPU.
- transfers: a value of B bytes (dynamic dims = `batch-size`) crossing between devices costs
  B + `transfer-overhead`, once per value however many consumers it has on the other side
  (two auxiliary nodes per value make the cut count it exactly once per direction).
  Constants cost nothing: they are placed with their consumers (copied when those disagree).

Cost constants (options; defaults and where they come from; benchmarks/placement_calibration.py
measures the CPU side on the machine at hand, and the transfer side and the GPU when one is
visible to TensorFlow):
- `flops-per-byte` = 8: host cost units (passes/analysis/cost_model.py: a FLOP or 4 bytes of memory
  traffic) run in the time one byte crosses PCIe. A PCIe 3.0 x16 link moves 15.75 GB/s per
  direction (PCI-SIG base specification), ~12 GB/s measured by NVIDIA's bandwidthTest with
  pinned memory; a serving host's dense compute runs ~1e11 units/s (the calibration measured
  6.9e10 units/s for a 32x1024x1024 MatMul on one core of this 2-core AVX-512 machine, i.e.
  5.8 units per byte at 12 GB/s; a few cores reach 8). Tiny ops run far below that (1e8 to
  5e9 units/s at batch 32: TF's per-op dispatch dominates), but they also cost little
  either side, so the constant is set for the compute that decides the cut.
- `gpu-speedup` = 10: an NVIDIA T4 (the usual tabular serving GPU) peaks at 8.1 TFLOPS FP32
  (T4 datasheet), ~15x the 0.55 T units/s of 8 such host cores; rounded down because small
  ops on a GPU are bound by kernel launches (a few microseconds each).
- `transfer-overhead` = 0 bytes: per-transfer latency left out, so transfers cost their
  bytes. A cudaMemcpy of a few bytes takes ~10 us (the order NVIDIA's CUDA C++ Best Practices
  Guide gives for per-transfer overhead), ~120000 bytes at 12 GB/s: with that value a model
  as small as the tests' Wide & Deep (an MLP of 44-64-32-1 at batch 32) would stay on the
  CPU entirely, which is right for single small requests and wrong for the batched serving
  the split is for (TFRT on GPU batches transfers, as the runtime's documentation says).
  Pass transfer-overhead=120000 to price latency-bound serving.
- `host-table-bytes` = 16 MiB: copying such a table over PCIe takes ~1.4 ms at 12 GB/s,
  longer than a tabular request; smaller tables are cheap to keep in GPU memory (copied once
  at load), larger ones are gathered where they live.
- strings count 32 bytes per element (`value_bytes`): TensorFlow's tstring is a 24-byte
  struct holding strings of up to 22 bytes inline (tensorflow/core/platform/ctstring_internal.h),
  the size of categorical feature values; longer ones add a heap block.

The min cut is the optimum of this cost model. The accelerator part must also not have a
cycle through the host (GPU -> CPU -> GPU: one device program could not run uninterrupted);
after the cut this is verified, and repaired by pinning (the bridging host ops to the GPU,
the GPU ops after or before them to the host), re-solving and keeping the cheapest repair.

Output: `device` = "/device:GPU:0" or "/device:CPU:0" on every placed op (TF's soft
placement runs the result on a CPU-only machine), the variables the signatures use get the
device of their users in their attributes (`Variable.attrs["device"]`), and a report (stderr, or JSON in `report`):
transfers (edges, bytes per example) and cost before (the model's own devices), for the
naive placement (every op with a GPU kernel on the GPU, hard host constraints kept), for the
result, and the optimum the min cut proves.
"""
from __future__ import annotations

import json
import math
import sys

import networkx as nx

from smopt.ir import types as T
from smopt.ir.callgraph import reached_functions
from smopt.ir.attributes import function_refs
from smopt.ir.builder import Builder
from smopt.ir.core import CALL_OPS, Function, OpResult
from smopt.passes.analysis.traits import BRANCH_OPS, PLAIN_CALLS, WHILE_OPS

from smopt.passes.framework.output import write_text
from smopt.passes.framework.registry import Pass, PassError, option, register

HOST = "/device:CPU:0"
GPU = "/device:GPU:0"
_HANDLE_DTYPES = frozenset({"resource", "variant"})
_INF = float("inf")


def _device_kind(device):
    from smopt.passes.xla_cluster import device_kind
    return device_kind(device)


def value_bytes(t, batch_size):
    """Bytes of a tensor of type `t` with dynamic dims = batch_size (handles: 0)."""
    if not isinstance(t, T.TensorType):
        return 0
    dt = t.dtype
    if dt.name in _HANDLE_DTYPES:
        return 0
    size = dt.itemsize or 32  # strings: a 24-byte tstring holding a short value (module docstring)
    if t.shape is None:
        return batch_size * size
    return math.prod(batch_size if d < 0 else d for d in t.shape) * size


class Unit:
    """A placement node: an op (or an If/While/call placed whole), a signature input or output,
    a resource, or a control-only join (`kind` 'ctl', never placed)."""

    __slots__ = ("key", "kind", "op", "label", "host_reason", "penalty", "const")

    def __init__(self, key, kind, label, op=None):
        self.key = key
        self.kind = kind
        self.op = op
        self.label = label
        self.host_reason = None     # why it must stay on the host (None: free)
        self.penalty = 0            # extra cost (bytes) when it runs on the CPU
        self.const = False


class FlowValue:
    __slots__ = ("producer", "consumers", "bytes", "label")

    def __init__(self, producer, nbytes, label):
        self.producer = producer
        self.consumers = []
        self.bytes = nbytes
        self.label = label


class Model:
    """The placement problem: units, values, colocations and dependencies."""

    def __init__(self, owner, module):
        self.p = owner
        self.module = module
        self.units = {}
        self.values = {}           # (producer key, result index) -> FlowValue
        self.coloc = set()         # (resource unit key, user unit key)
        self.deps = nx.DiGraph()   # dependencies (data and control) between unit keys
        self.instances = {}        # id(op) -> [unit key] (an op expanded more than once)
        self.const_users = {}      # const unit key -> [unit keys]
        self.opaque_functions = {}  # unit key -> set of function names it runs
        self._next = 0
        from smopt.passes.analysis.cost_model import CostModel
        self.costs = CostModel(module)
        self._gpu_fn = {}

    # ---- units ------------------------------------------------------------------------
    def new_unit(self, kind, label, op=None):
        self._next += 1
        u = Unit(self._next, kind, label, op)
        self.units[u.key] = u
        self.deps.add_node(u.key)
        if op is not None:
            self.instances.setdefault(id(op), []).append(u.key)
        return u

    def dep(self, a, b):
        if a != b:
            self.deps.add_edge(a, b)

    def use(self, src, user_key, vtype):
        """`user_key` reads the value `src` = (unit key, index)."""
        if src is None:
            return
        ukey, idx = src
        self.dep(ukey, user_key)
        producer = self.units[ukey]
        if isinstance(vtype, T.TensorType) and vtype.dtype is T.resource:
            self.coloc.add((ukey, user_key))
            return
        if producer.const:
            self.const_users.setdefault(ukey, []).append(user_key)
            return
        if producer.kind == "ctl":
            return
        fv = self.values.get(src)
        if fv is None:
            fv = FlowValue(ukey, value_bytes(vtype, self.p.batch_size), f"{producer.label}:{idx}")
            self.values[src] = fv
        if user_key not in fv.consumers:
            fv.consumers.append(user_key)

    # ---- host-only / GPU capability -----------------------------------------------------
    def op_host_reason(self, op):
        kind = _device_kind(op.device)
        if kind == "CPU":
            return f"placed on the CPU by the model ({op.device})"
        for v in list(op.operands) + list(op.results):
            if isinstance(v.type, T.TensorType) and v.type.dtype is T.string:
                return "string tensors"
        if op.type == "TPUPartitionedCall":
            return "TPU call"
        m = self.module
        if op.type in CALL_OPS or op.type in m.functions or op.type in BRANCH_OPS or op.type in WHILE_OPS:
            for n in self.callees(op) or []:
                why = self.function_host_reason(n)
                if why:
                    return f"runs @{n}: {why}"
            return None
        from smopt.passes.analysis import xla_compat
        issues = [i for i in xla_compat.op_issues(op, self.module, "gpu")]
        if issues:
            return f"no GPU kernel ({issues[0]})"
        return None

    def function_host_reason(self, name):
        if name in self._gpu_fn:
            return self._gpu_fn[name]
        fn = self.module.functions.get(name)
        if fn is None:
            return "missing function"
        self._gpu_fn[name] = None  # recursion: assume fine while visiting
        why = None
        for op in fn.ops:
            r = self.op_host_reason(op)
            if r:
                why = f"'{op.name}': {r}"
                break
        self._gpu_fn[name] = why
        return why

    def callees(self, op):
        m = self.module
        if op.type in CALL_OPS or op.type in m.functions:
            return [op.callee] if op.callee else []
        names = []
        for key, val in op.attrs.items():
            names.extend(function_refs(val))
        return names or None

    def reached(self, names):
        return reached_functions(self.module, names, self.callees)

    # ---- building -------------------------------------------------------------------------
    def add_root(self, fn):
        env = {}
        for i, a in enumerate(fn.args):
            if isinstance(a.type, T.TensorType) and a.type.dtype is T.resource:
                env[id(a)] = (self.resource_unit(fn, a).key, 0)
            else:
                u = self.new_unit("input", f"input:{a.name}")
                u.host_reason = "signature input (host)"
                env[id(a)] = (u.key, 0)
        self.expand(fn, env, prefix="", stack=(fn.name,), entry=None)
        out = self.new_unit("output", f"output:{fn.name}")
        out.host_reason = "signature output (host)"
        for v in fn.returns:
            self.use(env.get(id(v)), out.key, v.type)

    def resource_unit(self, fn, arg):
        u = self.new_unit("resource", f"resource:{arg.name}")
        nid = arg.attrs.get("tf_saved_model.bound_input")
        var = self.module.variable_by_node(nid) if isinstance(nid, int) else None
        vtype = var.type if var is not None else (arg.type.subtypes[0] if arg.type.subtypes else None)
        if var is None and (isinstance(nid, int) or not arg.type.subtypes):
            u.host_reason = "host resource (lookup table or other non-variable handle)"
        elif vtype is not None:
            nbytes = value_bytes(vtype, self.p.batch_size) if vtype.shape is not None else 0
            if nbytes >= self.p.host_table_bytes:
                u.host_reason = f"large table ({nbytes} bytes >= host-table-bytes)"
        u.op = None
        u.label = f"resource:{var.path if var is not None else arg.name}"
        self.p._resource_vars[u.key] = var
        return u

    def expand(self, fn, env, prefix, stack, entry):
        """Add the units of one run of `fn`; env maps id(value) -> (unit key, index)."""
        for op in fn.ops:
            label = prefix + op.name
            callee = self.module.functions.get(op.callee) if op.callee else None
            expandable = (callee is not None and (op.type in PLAIN_CALLS or op.type in self.module.functions)
                          and callee.name not in stack and callee.attrs.get("_XlaMustCompile") is not True
                          and op.attrs.get("_XlaMustCompile") is not True)
            if expandable:
                enter = self.new_unit("ctl", label + "<entry>")
                for c in op.control_inputs:
                    if id(c) in env:
                        self.dep(env[id(c)][0], enter.key)
                if entry is not None:
                    self.dep(entry, enter.key)
                sub = {}
                for a, v in zip(callee.args, op.operands):
                    if id(v) in env:
                        sub[id(a)] = env[id(v)]
                self.expand(callee, sub, label + "/", stack + (callee.name,), enter.key)
                done = self.new_unit("ctl", label + "<exit>")
                for v in callee.returns:
                    if id(v) in sub:
                        self.dep(sub[id(v)][0], done.key)
                for _, tok in callee.control_rets:
                    if id(tok) in sub:
                        self.dep(sub[id(tok)][0], done.key)
                for r, v in zip(op.results, callee.returns):
                    if id(v) in sub:
                        env[id(r)] = sub[id(v)]
                env[id(op.control)] = (done.key, -1)
                continue
            u = self.new_unit("op", label, op)
            u.const = op.type == "Const" and not op.operands
            u.host_reason = self.op_host_reason(op)
            names = self.callees(op)
            if names:
                self.opaque_functions[u.key] = self.reached(names)
            if not u.const:
                cost = self.costs.op_cost(op)
                s = self.p.gpu_speedup
                diff = cost * self.p.batch_size * (1.0 - 1.0 / s) / self.p.flops_per_byte
                if not math.isfinite(diff):
                    raise PassError(f"the cost of '{op.name}' overflows with batch-size={self.p.batch_size}, "
                                    f"gpu-speedup={s:g} and flops-per-byte={self.p.flops_per_byte:g}")
                u.penalty = int(math.ceil(diff)) if diff > 0 else -int(math.ceil(-diff))
            for v in op.operands:
                self.use(env.get(id(v)), u.key, v.type)
            for c in op.control_inputs:
                if id(c) in env:
                    self.dep(env[id(c)][0], u.key)
            internal = op.control_inputs or any(isinstance(v, OpResult) for v in op.operands)
            if entry is not None and not internal:
                self.dep(entry, u.key)
            for r in op.results:
                env[id(r)] = (u.key, r.index)
            env[id(op.control)] = (u.key, -1)


@register
class CpuGpuPlacement(Pass):
    name = "cpu-gpu-placement"
    title = "CpuGpuPlacement"
    summary = "Place a tabular model: host work on the CPU, dense compute on the GPU (min s-t cut)"
    batch_size: int = option(32, "batch size assumed for dynamic dimensions")
    report: str = option("", "write the placement report as JSON to this file (default: text on stderr)")
    host_table_bytes: int = option(
        16 << 20, "variables at least this large (embedding tables) stay in host memory")
    gpu_speedup: float = option(
        10.0, "how many times faster the GPU runs an op than the CPU "
        "(T4 FP32 peak over 8 host cores, rounded down)")
    flops_per_byte: float = option(
        8.0, "cost-model units (FLOPs) the host computes in the time one byte crosses PCIe "
        "(~1e11 units/s over ~12 GB/s)")
    transfer_overhead: int = option(
        0, "fixed cost of one host<->device transfer, in bytes "
        "(~10 us x 12 GB/s = 120000 prices latency)")
    statistics = {
        "num-gpu-ops": "Number of ops placed on the GPU",
        "num-cpu-ops": "Number of ops placed on the CPU",
        "num-transfers": "Number of values crossing between host and GPU",
        "num-repairs": "Number of repairs for cycles through the host",
    }

    def run(self, module):
        self._check_options()
        roots = _roots(module)
        if not roots:
            raise PassError("no function to place (the module has no signatures and no functions)")
        self._resource_vars = {}
        model = Model(self, module)
        for fn in roots:
            model.add_root(fn)
        solver = Solver(model, self)
        result = solver.solve()
        self.apply(model, result)
        self.write_report(model, solver, result)

    def _check_options(self):
        """Every numeric option is a number the cost model can use (nan, inf, zero or negative
        would be a crash or a meaningless placement): one line naming the option."""
        if self.batch_size < 1:
            raise PassError(f"batch-size must be at least 1 (got {self.batch_size})")
        for name, value in (("gpu-speedup", self.gpu_speedup), ("flops-per-byte", self.flops_per_byte)):
            # a reciprocal that overflows (a subnormal value) is as unusable as zero
            if not (math.isfinite(value) and value > 0 and math.isfinite(1.0 / value)):
                raise PassError(f"option {name} must be a positive finite number (got {value:g})")
        for name, value in (("transfer-overhead", self.transfer_overhead),
                            ("host-table-bytes", self.host_table_bytes)):
            if value < 0:
                raise PassError(f"option {name} must not be negative (got {value})")

    # ---- applying ---------------------------------------------------------------------------
    def apply(self, model, result):
        module = model.module
        side = result["side"]
        by_op = {}
        for key, u in model.units.items():
            if u.kind == "op" and not u.const:
                by_op.setdefault(id(u.op), (u.op, set()))[1].add(side[key])
        gpu_ops = cpu_ops = 0
        for op, sides in by_op.values():
            if len(sides) != 1:
                continue  # one op, two placements (a shared callee): leave it to TF
            dev = GPU if "gpu" in sides else HOST
            op.device = dev
            if dev == GPU:
                gpu_ops += 1
            else:
                cpu_ops += 1
        # Everything an If/While/compiled call runs goes where the unit goes.
        inner = {}
        for key, names in model.opaque_functions.items():
            for n in names:
                inner.setdefault(n, set()).add(side[key])
        for n, sides in inner.items():
            if len(sides) == 1:
                dev = GPU if "gpu" in sides else HOST
                for op in module.functions[n].ops:
                    op.device = dev
        # Constants go with their consumers; a constant both sides read is copied.
        for key, u in model.units.items():
            if not u.const:
                continue
            users = model.const_users.get(key, [])
            sides = {side[k] for k in users if side.get(k) in ("cpu", "gpu")}
            op = u.op
            if len(model.instances.get(id(op), [])) > 1 or op.parent is None:
                continue
            string = op.results and isinstance(op.results[0].type, T.TensorType) \
                and op.results[0].type.dtype is T.string
            if string or not sides or sides == {"cpu"}:
                op.device = HOST
            elif sides == {"gpu"}:
                op.device = GPU
            else:
                self._split_const(op, users, model, side)
        for key, var in self._resource_vars.items():
            if var is not None and key in side:
                var.attrs["device"] = HOST if side[key] == "cpu" else GPU
        self.bump("num-gpu-ops", gpu_ops)
        self.bump("num-cpu-ops", cpu_ops)
        self.bump("num-transfers", result["placed"]["transfers"]["edges"])
        self.bump("num-repairs", len(result["repairs"]))

    def _split_const(self, op, users, model, side):
        copy = Builder.after(op).clone(op, {}, op.name + "/gpu")
        op.device, copy.device = HOST, GPU
        for user, idx in list(op.results[0].uses):
            if not isinstance(user, Function) and _use_sides(model, side, user, idx) == {"gpu"}:
                user.set_operand(idx, copy.results[0])

    # ---- report ---------------------------------------------------------------------------
    def write_report(self, model, solver, result):
        rep = {
            "pass": self.name,
            "batch_size": self.batch_size,
            "cost_model": {"gpu_speedup": self.gpu_speedup, "flops_per_byte": self.flops_per_byte,
                           "transfer_overhead_bytes": self.transfer_overhead,
                           "host_table_bytes": self.host_table_bytes,
                           "unit": "bytes transferred (compute converted with flops-per-byte)"},
            "ops": {"gpu": self.stats.get("num-gpu-ops", 0), "cpu": self.stats.get("num-cpu-ops", 0)},
            "host_only": sorted({f"{u.label}: {u.host_reason}" for u in model.units.values()
                                 if u.kind == "op" and u.host_reason}),
            "host_tables": sorted(v.path for k, v in self._resource_vars.items()
                                  if v is not None and model.units[k].host_reason),
            "variables": {v.path: (HOST if result["side"][k] == "cpu" else GPU)
                          for k, v in sorted(self._resource_vars.items(), key=lambda kv: kv[1].path
                                             if kv[1] is not None else "")
                          if v is not None},
            "before": result["before"],
            "naive": result["naive"],
            "placed": result["placed"],
            "optimum": {"cost": result["min_cut"], "proven_by": "minimum s-t cut (networkx)"},
            "optimal": result["placed"]["cost"] == result["min_cut"],
            "repairs": result["repairs"],
        }
        if self.report:
            try:   # report=- is stderr, as for the other passes' output options
                write_text(self.report, json.dumps(rep, indent=1, sort_keys=False) + "\n")
            except OSError as e:
                raise PassError(f"cannot write the placement report '{self.report}': {e.strerror}") from None
        else:
            sys.stderr.write(format_report(rep))


def _use_sides(model, side, user, idx, depth=0):
    """Devices that read operand `idx` of `user`: its own unit's, or for a call expanded in
    place, those of the callee ops reading the matching argument."""
    keys = model.instances.get(id(user))
    if keys:
        return {side[k] for k in keys if k in side}
    callee = model.module.functions.get(user.callee) if user.callee else None
    if callee is None or depth > 8 or idx >= len(callee.args):
        return set()
    out = set()
    for u, i in callee.args[idx].uses:
        if not isinstance(u, Function):
            out |= _use_sides(model, side, u, i, depth + 1)
    return out


def format_report(rep):
    lines = [f"cpu-gpu-placement: {rep['ops']['gpu']} ops on {GPU}, {rep['ops']['cpu']} on {HOST} "
             f"(batch size {rep['batch_size']})",
             f"  {'placement':<16}{'transfers':>10}{'bytes/example':>16}{'cost':>14}"]
    for name in ("before", "naive", "placed"):
        s = rep[name]
        lines.append(f"  {name:<16}{s['transfers']['edges']:>10}"
                     f"{s['transfers']['bytes_per_example']:>16.1f}{s['cost']:>14}")
    verdict = "placement optimal" if rep["optimal"] else "repairs cost extra"
    lines.append(f"  {'min-cut optimum':<16}{'':>10}{'':>16}{rep['optimum']['cost']:>14}  ({verdict})")
    for r in rep["repairs"]:
        lines.append(f"  repair: {r['action']} ({len(r['units'])} ops), cost {r['cost']}")
    return "\n".join(lines) + "\n"


def _roots(module):
    if module.signatures:
        names = []
        for s in module.signatures.values():
            if s.function in module.functions and s.function not in names:
                names.append(s.function)
        return [module.functions[n] for n in names]
    cg = module.call_graph()
    return [f for n, f in module.functions.items() if not cg.callers(n)]


# ---------------------------------------------------------------------------------------
# Solving
# ---------------------------------------------------------------------------------------
class Solver:
    def __init__(self, model, owner):
        self.m = model
        self.p = owner
        self.placeable = [k for k, u in model.units.items() if u.kind != "ctl" and not u.const]

    def weight(self, fv):
        return fv.bytes + self.p.transfer_overhead

    def build(self, pins):
        g = nx.DiGraph()
        g.add_node("S")
        g.add_node("T")
        for k in self.placeable:
            u = self.m.units[k]
            g.add_node(k)
            pin = pins.get(k)
            if u.host_reason or pin == "cpu":
                _add_inf(g, "S", k)
            if pin == "gpu":
                _add_inf(g, k, "T")
            if u.penalty > 0:
                _add_cap(g, k, "T", u.penalty)
            elif u.penalty < 0:
                _add_cap(g, "S", k, -u.penalty)
        for r, user in self.m.coloc:
            if r in g and user in g:
                _add_inf(g, r, user)
                _add_inf(g, user, r)
        for i, (src, fv) in enumerate(self.m.values.items()):
            cons = [c for c in fv.consumers if c in g and c != fv.producer]
            if not cons or fv.producer not in g:
                continue
            w = self.weight(fv)
            a, b = ("out", i), ("in", i)
            _add_cap(g, fv.producer, a, w)
            _add_cap(g, b, fv.producer, w)
            for c in cons:
                _add_inf(g, a, c)
                _add_inf(g, c, b)
        return g

    def cut(self, pins):
        g = self.build(pins)
        try:
            value, (s_side, _) = nx.minimum_cut(g, "S", "T")
        except nx.NetworkXUnbounded:
            return None
        if value == _INF:
            return None
        side = {k: ("cpu" if k in s_side else "gpu") for k in self.placeable}
        return int(value), side

    # ---- evaluation -------------------------------------------------------------------------
    def evaluate(self, side):
        m = self.m
        penalty = sum(u.penalty for k, u in m.units.items()
                      if k in side and side[k] == "cpu" and u.penalty > 0)
        penalty += sum(-u.penalty for k, u in m.units.items()
                       if k in side and side[k] == "gpu" and u.penalty < 0)
        edges, nbytes, h2d, d2h, cost, listing = 0, 0, 0, 0, 0, []
        for fv in m.values.values():
            if fv.producer not in side:
                continue
            ps = side[fv.producer]
            other = [c for c in fv.consumers if c in side and side[c] != ps]
            if not other:
                continue
            edges += 1
            nbytes += fv.bytes
            cost += self.weight(fv)
            if ps == "cpu":
                h2d += 1
            else:
                d2h += 1
            listing.append({"value": fv.label, "from": ps.upper(), "to": "GPU" if ps == "cpu" else "CPU",
                            "bytes": fv.bytes})
        return {
            "cost": int(cost + penalty),
            "compute_penalty": int(penalty),
            "gpu_ops": sum(1 for k in side if side[k] == "gpu" and m.units[k].kind == "op"),
            "cpu_ops": sum(1 for k in side if side[k] == "cpu" and m.units[k].kind == "op"),
            "transfers": {"edges": edges, "bytes": nbytes,
                          "bytes_per_example": nbytes / self.p.batch_size,
                          "host_to_device": h2d, "device_to_host": d2h, "values": listing},
        }

    def feasible_side(self, prefer):
        """Host constraints (and colocation) applied to a preference for every other unit."""
        m = self.m
        side = {}
        for k in self.placeable:
            u = m.units[k]
            side[k] = "cpu" if u.host_reason else prefer(u)
        # Colocation: a resource user sits with its resource (resources on the host pull).
        changed = True
        while changed:
            changed = False
            for r, user in m.coloc:
                if r in side and user in side and side[r] != side[user]:
                    if "cpu" in (side[r], side[user]):
                        side[r] = side[user] = "cpu"
                        changed = True
        return side

    # ---- cycle check ------------------------------------------------------------------------
    def violations(self, side):
        """(gpu units after a host excursion, bridging host units, gpu units before one)."""
        g = self.m.deps
        order = list(nx.topological_sort(g))
        after_gpu, via_host = {}, {}
        for n in order:
            a = b = False
            for p in g.predecessors(n):
                ps = side.get(p)
                a = a or ps == "gpu" or after_gpu[p]
                b = b or (ps == "cpu" and after_gpu[p]) or via_host[p]
            after_gpu[n], via_host[n] = a, b
        late = {n for n in order if side.get(n) == "gpu" and via_host[n]}
        if not late:
            return set(), set(), set()
        reaches_gpu = {}
        for n in reversed(order):
            reaches_gpu[n] = any(side.get(s) == "gpu" or reaches_gpu[s] for s in g.successors(n))
        bridges = {n for n in order if side.get(n) == "cpu" and after_gpu[n] and reaches_gpu[n]}
        reaches_bridge = {}
        for n in reversed(order):
            reaches_bridge[n] = any(s in bridges or reaches_bridge[s] for s in g.successors(n))
        early = {n for n in order if side.get(n) == "gpu" and reaches_bridge[n]}
        return late, bridges, early

    def solve(self):
        pins = {}
        first = self.cut(pins)
        if first is None:
            raise PassError("placement constraints conflict (an op must be on the host and the GPU)")
        min_cut, side = first
        repairs = []
        for _ in range(len(self.placeable) + 1):
            late, bridges, early = self.violations(side)
            if not late:
                break
            options = []
            if all(not self.m.units[b].host_reason and pins.get(b) != "cpu" for b in bridges):
                options.append(("bridging host ops to the GPU", bridges, "gpu"))
            options.append(("GPU ops after the host excursion to the host", late, "cpu"))
            options.append(("GPU ops before the host excursion to the host", early, "cpu"))
            best = None
            for action, units, where in options:
                trial = dict(pins)
                trial.update({k: where for k in units})
                got = self.cut(trial)
                if got is not None and (best is None or got[0] < best[1][0]):
                    best = (action, got, trial, units)
            if best is None:
                raise PassError("cannot place the model without a cycle through the host")
            action, (value, side), pins, units = best
            repairs.append({"action": action, "units": sorted(self.m.units[k].label for k in units),
                            "cost": value})
        naive = self.feasible_side(lambda u: "gpu")
        before = self.feasible_side(
            lambda u: "cpu" if u.op is not None and _device_kind(u.op.device) == "CPU" else "gpu")
        placed = self.evaluate(side)
        return {"side": side, "min_cut": min_cut, "placed": placed, "naive": self.evaluate(naive),
                "before": self.evaluate(before), "repairs": repairs}


def _add_inf(g, a, b):
    """An edge of infinite capacity (networkx: no `capacity` attribute)."""
    if g.has_edge(a, b):
        g.edges[a, b].pop("capacity", None)
    else:
        g.add_edge(a, b)


def _add_cap(g, a, b, w):
    if w <= 0:
        return
    if g.has_edge(a, b):
        if "capacity" in g.edges[a, b]:
            g.edges[a, b]["capacity"] += w
        return
    g.add_edge(a, b, capacity=w)
