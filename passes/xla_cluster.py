"""xla-cluster: auto-cluster XLA-compilable ops into outlined `_XlaMustCompile` functions.

The algorithm follows TensorFlow's mark_for_compilation_pass:

1. Candidates: ops with an XLA kernel for the target device (`passes.xla_compat`), no
   string/variant/quantized tensors, no resource results, resource operands only for
   variable reads, no `_XlaCompile = false`, no explicit device of another kind, no stateful
   RNG or dummy (Assert, CheckNumerics) ops. Calls, If/Case and While are candidates when
   every function they reach is compilable (recursively; recursion and `_noinline` /
   `_XlaMustCompile` callees are refused).
2. Edge contraction over the dataflow graph (data and control edges) with a dynamic
   topological order (Pearce-Kelly): contracting `a -> b` is refused when another path
   from `a` to `b` exists (it would create a cycle, e.g. through an uncompilable op).
   Phases in post order as in TF: shape consumers first, then everything except edges
   into sink-like NoOps, then all remaining edges.
3. Clusters whose effective size (Identity, IdentityN, Const and NoOp count 0; calls,
   If/Case and While count their bodies) reaches `min-cluster-size` are outlined: each
   becomes a new function with `_XlaMustCompile = true` and `_noinline = true`, called by a
   (Stateful)PartitionedCall where its ops were. Control inputs into the cluster become
   control inputs of the call; dependents on member ops' control tokens wait on the call.
   A clustered Const that is also used outside keeps a copy outside the cluster; a small
   Const (at most 1024 elements, no control inputs) defined outside a cluster that uses it
   (left out of every cluster, or a member of another cluster, as after CSE merges equal
   constants of several clusters) is copied into the cluster instead of becoming an
   argument of the call: XLA folds it, and the call has no extra per-inference operand.

Clusters never span a call boundary: compilable work on both sides of a call to a partly
compilable function stays in separate clusters. TensorFlow clusters the inlined graph, so run
`inline` first to get its clusters (smopt-optimize's precompilation pipeline does).

Functions reached from clustered ops are compiled as part of their cluster and are not
clustered themselves. The main graph is left alone.
"""
from __future__ import annotations

import re

from smopt.ir import types as T
from smopt.ir.attributes import FuncAttr, function_refs
from smopt.ir.callgraph import reached_functions
from smopt.ir.builder import Builder
from smopt.ir.core import CALL_OPS, Function, Op, OpResult

from smopt.passes.analysis.traits import (ALIASING, BOOKKEEPING, BRANCH_OPS, VARIABLE_READ_ONLY, WHILE_OPS,
                                          SideEffects, trace_forwarding, xla_issues)
from smopt.passes.framework.registry import Pass, PassError, option, register
from smopt.passes.analysis.xla_compat import data_dependent_constant_input

_DEVICE_KIND = {"cpu": "CPU", "gpu": "GPU", "tpu": "TPU"}

# Auto-clustering policy (TF's OperationFilter for CPU/GPU): these have XLA kernels, but
# XLA's RNG seeds differently and Assert/CheckNumerics compile to nothing.
_STATEFUL_RNG = frozenset({"RandomUniform", "RandomShuffle", "RandomUniformInt",
                           "RandomStandardNormal", "TruncatedNormal"})
_DUMMY_OPS = frozenset({"Assert", "CheckNumerics"})
# Resource operands are accepted only for reads of resource variables (VARIABLE_READ_ONLY):
# XLA snapshots variables at launch, and the cycle check keeps writes (left outside) ordered.
_SHAPE_CONSUMERS = frozenset({"Shape", "Rank", "Size"})
_BAD_DTYPES = frozenset({"string", "variant"})
_MAX_DEPTH = 10
_MAX_COPIED_CONST_ELEMENTS = 1024


def device_kind(device):
    """'CPU', 'GPU', 'TPU', ... from a device string ('' when it names no device type)."""
    m = re.search(r"(?:device:)?([A-Za-z_]+):(?:\d+|\*)\s*$", device or "")
    if m:
        return m.group(1).upper()
    m = re.search(r"device:([A-Za-z_]+)", device or "")
    return m.group(1).upper() if m else ""


def _bad_type(t, allow_resource):
    if not isinstance(t, T.TensorType):
        return False
    if isinstance(t.element, T.QuantizedType):
        return True
    name = t.dtype.name
    if name in _BAD_DTYPES or name.startswith(("qint", "quint")):
        return True
    return name == "resource" and not allow_resource


# ---------------------------------------------------------------------------------------
# Compilability
# ---------------------------------------------------------------------------------------
class Compilability:
    """Which ops and functions XLA can compile for one device (memoized per module)."""

    def __init__(self, module, device):
        self.module = module
        self.device = device
        self.kind = _DEVICE_KIND[device]
        self._fn = {}
        self._weight = {}

    def _callees(self, op):
        """Functions an op runs (call target, branches, loop cond/body), or None if not a call."""
        m = self.module
        if op.type in CALL_OPS or op.type in m.functions:
            return [op.callee] if op.callee else []
        if op.type in BRANCH_OPS or op.type in WHILE_OPS:
            names = []
            for key in ("then_branch", "else_branch", "branches", "cond", "body"):
                if key in op.attrs:
                    names.extend(function_refs(op.attrs[key]))
            return names
        return None

    def reason(self, op, depth=0):
        """None when `op` may be clustered, else why not (for debugging and tests)."""
        attrs = op.attrs
        if attrs.get("_XlaCompile") is False:
            return "_XlaCompile = false"
        if attrs.get("_XlaMustCompile") is True or attrs.get("_xla_compile_id"):
            return "already compiled"
        kind = device_kind(op.device)
        if kind and kind != self.kind:
            return f"placed on {kind}"
        if op.type in _STATEFUL_RNG or op.type in _DUMMY_OPS:
            return "not auto-clustered (stateful RNG / dummy op)"
        if op.type == "TPUPartitionedCall":
            return "device boundary"
        for r in op.results:
            # No resource values leave a cluster: a While's pass-through handle may exist when
            # nothing uses it, and inside a compiled function handles may be forwarded.
            forwarded = depth > 0 and op.type in ALIASING
            if _bad_type(r.type, allow_resource=forwarded or not r.uses):
                return f"result of type {r.type}"
        callees = self._callees(op)
        for v in op.operands:
            if _bad_type(v.type, allow_resource=True):
                return f"operand of type {v.type}"
            if v.type.dtype is T.resource and callees is None and op.type not in VARIABLE_READ_ONLY:
                return "resource operation other than a variable read"
        issues = xla_issues(op, self.module, self.device)
        if issues:
            return issues[0]
        const_idx = data_dependent_constant_input(op)
        if const_idx is not None:
            return f"operand #{const_idx} must be a compile-time constant but depends on run-time data"
        if callees is not None:
            if not callees:
                return "unknown callee"
            for name in callees:
                why = self.function_reason(name, depth + 1)
                if why:
                    return f"callee @{name}: {why}"
        return None

    def ok(self, op):
        return self.reason(op) is None

    def function_reason(self, name, depth=0):
        if name in self._fn:
            why = self._fn[name]
            return "recursive call" if why is _VISITING else why
        if depth > _MAX_DEPTH:
            return "call depth limit"
        fn = self.module.functions.get(name)
        if fn is None:
            return "missing function"
        if fn.attrs.get("_noinline") is True:
            return "_noinline function"
        if fn.attrs.get("_XlaMustCompile") is True:
            return "already compiled"
        if fn.attrs.get("_XlaCompile") is False:
            return "_XlaCompile = false"
        self._fn[name] = _VISITING
        why = None
        for a in fn.args:
            if _bad_type(a.type, allow_resource=True):
                why = f"argument of type {a.type}"
        for v in fn.returns:
            if why is None and _bad_type(v.type, allow_resource=_forwards_argument(v)):
                why = f"result of type {v.type}"
        if why is None:
            for op in fn.ops:
                r = self.reason(op, depth)
                if r:
                    why = f"'{op.name}': {r}"
                    break
        self._fn[name] = why
        return why

    # ---- effective size ----------------------------------------------------------------
    def weight(self, op):
        """Effective size: 0 for Identity/Const/NoOp, a callee's body for calls."""
        if op.type in BOOKKEEPING:
            return 0
        callees = self._callees(op)
        if not callees:
            return 1
        sizes = [self.function_weight(n) for n in callees]
        if op.type in BRANCH_OPS:
            return 1 + max(sizes)
        if op.type in WHILE_OPS:
            return 1 + sum(sizes)
        return max(1, sum(sizes))

    def function_weight(self, name):
        if name in self._weight:
            return self._weight[name]
        self._weight[name] = 0
        fn = self.module.functions.get(name)
        w = sum(self.weight(op) for op in fn.ops) if fn is not None else 0
        self._weight[name] = w
        return w

    def reached_functions(self, op):
        """Every function a clustered `op` runs, transitively."""
        return reached_functions(self.module, self._callees(op) or [], self._callees)


_VISITING = object()


# ---------------------------------------------------------------------------------------
# Cycle-safe edge contraction (a dynamic topological order, as TF's GraphCycles)
# ---------------------------------------------------------------------------------------
class CycleGraph:
    """A DAG on ints 0..n-1 whose ranks form a topological order kept valid under edge
    insertion (Pearce-Kelly) and edge contraction."""

    def __init__(self, n):
        self.rank = list(range(n))
        self.succ = [set() for _ in range(n)]
        self.pred = [set() for _ in range(n)]
        self.alive = [True] * n

    def add_edge(self, a, b):
        if a == b or b in self.succ[a]:
            return
        self.succ[a].add(b)
        self.pred[b].add(a)
        if self.rank[a] > self.rank[b]:
            self._reorder(a, b)

    def _reorder(self, x, y):
        """Restore rank order after inserting x -> y with rank[x] > rank[y]."""
        lb, ub = self.rank[y], self.rank[x]
        fwd, seen, stack = [], {y}, [y]
        while stack:
            n = stack.pop()
            fwd.append(n)
            for s in self.succ[n]:
                if s == x:
                    raise AssertionError("edge insertion created a cycle")
                if s not in seen and self.rank[s] < ub:
                    seen.add(s)
                    stack.append(s)
        bwd, seen, stack = [], {x}, [x]
        while stack:
            n = stack.pop()
            bwd.append(n)
            for p in self.pred[n]:
                if p not in seen and self.rank[p] > lb:
                    seen.add(p)
                    stack.append(p)
        fwd.sort(key=self.rank.__getitem__)
        bwd.sort(key=self.rank.__getitem__)
        slots = sorted(self.rank[n] for n in bwd + fwd)
        for n, r in zip(bwd + fwd, slots):
            self.rank[n] = r

    def _reachable_avoiding_edge(self, a, b):
        """Is there a path a ~> b other than the direct edge?"""
        limit = self.rank[b]
        seen, stack = set(), [s for s in self.succ[a] if s != b]
        while stack:
            n = stack.pop()
            if n == b:
                return True
            if n in seen or self.rank[n] > limit:
                continue
            seen.add(n)
            stack.extend(self.succ[n])
        return False

    def contract_edge(self, a, b):
        """Merge b into a along the edge a -> b; False (graph unchanged) if that makes a cycle."""
        assert b in self.succ[a]
        if self._reachable_avoiding_edge(a, b):
            return False
        self.succ[a].discard(b)
        self.pred[b].discard(a)
        succs, preds = list(self.succ[b]), list(self.pred[b])
        for s in succs:
            self.pred[s].discard(b)
        for p in preds:
            self.succ[p].discard(b)
        self.succ[b].clear()
        self.pred[b].clear()
        self.alive[b] = False
        for s in succs:
            self.add_edge(a, s)
        for p in preds:
            self.add_edge(p, a)
        return True

    def post_order(self):
        """Live nodes, consumers first (descending rank)."""
        return sorted((n for n in range(len(self.rank)) if self.alive[n]),
                      key=lambda n: -self.rank[n])


class _Cluster:
    __slots__ = ("members", "size", "weight", "device")

    def __init__(self, idx, weight, device):
        self.members = [idx]
        self.size = 1
        self.weight = weight
        self.device = device


# ---------------------------------------------------------------------------------------
# The pass
# ---------------------------------------------------------------------------------------
@register
class XlaCluster(Pass):
    name = "xla-cluster"
    title = "XlaCluster"
    summary = "Cluster XLA-compilable ops into outlined _XlaMustCompile functions (TF auto-clustering)"
    min_cluster_size: int = option(
        4, "smallest effective cluster size outlined (Identity/Const/NoOp count 0)")
    max_cluster_size: int = option(0, "largest cluster in ops (0: unlimited)")
    device: str = option("cpu", "the XLA device the clusters compile for", choices=("cpu", "gpu", "tpu"))
    statistics = {
        "num-clusters": "Number of clusters formed",
        "num-ops-clustered": "Number of ops compiled in clusters (functions they call included)",
    }

    def run(self, module):
        if self.min_cluster_size < 0 or self.max_cluster_size < 0:
            raise PassError(f"min-cluster-size and max-cluster-size must not be negative "
                            f"(got {self.min_cluster_size} and {self.max_cluster_size})")
        self.comp = Compilability(module, self.device)
        self._copy_names = {}
        self.effects = SideEffects(module)
        cg = module.call_graph()
        order = _callers_first(cg, list(module.functions))
        inside = set()       # functions run by clustered ops (compiled as part of a cluster)
        for name in order:
            fn = module.functions.get(name)
            if fn is None or name in inside:
                continue
            if fn.attrs.get("_XlaMustCompile") is True:
                inside |= cg.reachable(name)
                continue
            clusters = self.find_clusters(fn)
            pending = {id(op) for ops in clusters for op in ops}
            for cluster_ops in clusters:
                pending -= {id(op) for op in cluster_ops}
                for op in cluster_ops:
                    inside |= self.comp.reached_functions(op)
                self.outline(module, fn, cluster_ops, keep=pending)

    # ---- clustering ---------------------------------------------------------------------
    def find_clusters(self, fn):
        """Lists of ops (in function order) to outline, one list per cluster."""
        ops = list(fn.ops)
        n = len(ops)
        index = {id(op): i for i, op in enumerate(ops)}
        graph = CycleGraph(n)
        for i, op in enumerate(ops):
            for v in op.operands:
                if isinstance(v, OpResult) and id(v.op) in index:
                    graph.add_edge(index[id(v.op)], i)
            for c in op.control_inputs:
                if id(c.op) in index:
                    graph.add_edge(index[id(c.op)], i)
        clusters = {}
        for i, op in enumerate(ops):
            if self.comp.ok(op):
                clusters[i] = _Cluster(i, self.comp.weight(op), op.device or "")
        if not clusters:
            return []

        def single(c):
            return ops[c.members[0]] if c.size == 1 else None

        def try_contract(a, b):
            ca, cb = clusters.get(a), clusters.get(b)
            if ca is None or cb is None:
                return False
            if ca.device and cb.device and ca.device != cb.device:
                return False
            if self.max_cluster_size and ca.size + cb.size > self.max_cluster_size:
                return False
            if not graph.contract_edge(a, b):
                return False
            ca.members.extend(cb.members)
            ca.size += cb.size
            ca.weight += cb.weight
            ca.device = ca.device or cb.device
            del clusters[b]
            return True

        def phase(accept):
            changed = False
            for a in graph.post_order():
                if a not in clusters or not graph.alive[a]:
                    continue
                for b in list(graph.succ[a]):
                    if b in clusters and accept(clusters[a], clusters[b]):
                        changed |= try_contract(a, b)
            return changed

        # Phase 0: shape consumers join their producer. Phase 1: everything but edges into
        # sink-like NoOps (they would glue unrelated work together). Phase 2: the rest.
        phase(lambda ca, cb: single(cb) is not None and single(cb).type in _SHAPE_CONSUMERS)
        phase(lambda ca, cb: not _sink_like(single(cb)))
        while phase(lambda ca, cb: True):
            pass

        out = []
        floor = max(self.min_cluster_size, 1)
        for rep in sorted(clusters, key=lambda r: min(clusters[r].members)):
            c = clusters[rep]
            if c.weight < floor:
                continue
            members = set(c.members)
            # TF's declustering: a Fill used only outside its cluster would just live longer.
            for i in list(members):
                op = ops[i]
                if op.type == "Fill" and op.results[0].uses and all(
                        not isinstance(u, Op) or index.get(id(u)) not in members
                        for u, _ in op.results[0].uses):
                    members.discard(i)
            if sum(self.comp.weight(ops[i]) for i in members) < floor:
                continue
            out.append([ops[i] for i in sorted(members)])
        return out

    # ---- outlining ----------------------------------------------------------------------
    def copy_in_constants(self, fn, cluster_ops, keep=frozenset()):
        """`cluster_ops` plus copies of the small constants they use from outside the cluster
        (their uses inside are redirected to the copies). An original left without any use
        is erased unless it is in `keep` (a cluster still to be outlined)."""
        member = {id(op) for op in cluster_ops}
        devices = {op.device for op in cluster_ops if op.device}
        copies, sources = {}, []
        for op in cluster_ops:
            for idx, v in enumerate(op.operands):
                src = v.op if isinstance(v, OpResult) else None
                if src is None or id(src) in member or not self._copyable_const(src, devices):
                    continue
                copy = copies.get(id(src))
                if copy is None:
                    copy = Builder.before(op).clone(src, {}, src.name)
                    copies[id(src)] = copy
                    sources.append(src)
                op.set_operand(idx, copy.results[0])
        dead = [src for src in sources if id(src) not in keep and src.parent is fn
                and not src.results[0].uses and not src.control.uses]
        if dead:
            fn.remove_ops(dead)
        for src in sources:     # inside the cluster a copy may take its original's node name
            self._copy_names[id(copies[id(src)])] = src.name
        return list(copies.values()) + list(cluster_ops)

    def _copyable_const(self, op, devices):
        if op.type != "Const" or op.control_inputs or not op.results:
            return False
        t = op.results[0].type
        n = t.num_elements if isinstance(t, T.TensorType) else None
        if n is None or n > _MAX_COPIED_CONST_ELEMENTS:
            return False
        if op.device and devices != {op.device}:   # a copy must not move the call elsewhere
            return False
        return self.comp.ok(op)

    def outline(self, module, fn, cluster_ops, keep=frozenset()):
        cluster_ops = self.copy_in_constants(fn, cluster_ops, keep)
        member = {id(op) for op in cluster_ops}

        def external_user(u):
            return not isinstance(u, Op) or id(u) not in member

        # Constants used outside stay there as copies (no cluster output for a constant).
        copies = []
        for op in cluster_ops:
            if op.type == "Const" and any(external_user(u) for u, _ in op.results[0].uses):
                copy = Builder.before(op).clone(op, {}, op.name)
                copies.append((copy, op.name))
                for u, idx in list(op.results[0].uses):
                    if external_user(u):
                        if isinstance(u, Function):
                            u._replace_return(op.results[0], copy.results[0])
                        else:
                            u.set_operand(idx, copy.results[0])

        inputs, seen = [], set()
        ctl_in, seen_ctl = [], set()
        for op in cluster_ops:
            for v in op.operands:
                if (not isinstance(v, OpResult) or id(v.op) not in member) and id(v) not in seen:
                    seen.add(id(v))
                    inputs.append(v)
            for c in op.control_inputs:
                if id(c.op) not in member and id(c) not in seen_ctl:
                    seen_ctl.add(id(c))
                    ctl_in.append(c)
        outputs = [r for op in cluster_ops for r in op.results
                   if any(external_user(u) for u, _ in r.uses)]
        ctl_out = [op for op in cluster_ops if any(external_user(u) for u, _ in op.control.uses)]

        k = sum(1 for f in module.functions.values() if f.attrs.get("smopt.xla_cluster"))
        name = module.unique_function_name(f"{_sanitize_fn(fn.name)}_xla_cluster_{k}")
        body = Function(name, module)
        vmap = {}
        for i, v in enumerate(inputs):
            vmap[v] = body.add_argument(f"arg_{i}", v.type)
        into_body = Builder.at_end(body)
        for op in cluster_ops:
            new = into_body.clone(op, vmap, self._copy_names.pop(id(op), op.name), uniquify=False)
            for c in list(new.control_inputs):
                if c.op.parent is not body:
                    new.remove_control_input(c)
        body.set_returns([vmap[r] for r in outputs], [f"output_{i}" for i in range(len(outputs))])
        body.set_control_rets([(_sanitize_ctl(op.name), vmap[op.control]) for op in ctl_out])
        body.attrs = {"_XlaMustCompile": True, "_noinline": True, "smopt.xla_cluster": True}
        module.add_function(body)

        stateful = any(self.effects.op_stateful(op) for op in cluster_ops)
        call = Builder.after(cluster_ops[-1]).create(
            "StatefulPartitionedCall" if stateful else "PartitionedCall", inputs, [r.type for r in outputs],
            {"Tin": [v.type.dtype for v in inputs], "Tout": [r.type.dtype for r in outputs],
             "f": FuncAttr(name), "_XlaMustCompile": True},
            name=f"xla_cluster_{k}", control_inputs=ctl_in)
        if any(op.device for op in cluster_ops):
            call.device = next(op.device for op in cluster_ops if op.device)
        for r, new in zip(outputs, call.results):
            r.replace_all_uses_with(new)
        for op in ctl_out:
            op.control.replace_all_uses_with(call.control)
        if len({id(t) for _, t in fn.control_rets}) != len(fn.control_rets):
            seen, items = set(), []
            for n, t in fn.control_rets:
                if id(t) not in seen:
                    seen.add(id(t))
                    items.append((n, t))
            fn.set_control_rets(items)
        fn.remove_ops(cluster_ops)
        for copy, name in copies:   # the copy outside takes over the node name
            fn.rename_op(copy, name)
        fn.sort_topologically()
        self.bump("num-clusters")
        inner = set()
        for op in cluster_ops:
            inner |= self.comp.reached_functions(op)
        self.bump("num-ops-clustered", len(cluster_ops) + sum(len(module.functions[n].ops) for n in inner))
        return body


def _forwards_argument(v):
    """A function result that is an argument, possibly through Identity ops (a loop-invariant
    resource handle in a While body)."""
    return not isinstance(trace_forwarding(v, ALIASING), OpResult)


def _sink_like(op):
    """A lone NoOp that only gathers control edges (TF's group_deps)."""
    return op is not None and op.type == "NoOp" and not op.results


def _sanitize_fn(name):
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", name)


def _sanitize_ctl(name):
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _callers_first(cg, names):
    """Function names ordered so that callers come before callees (cycles: any order)."""
    import networkx as nx
    g = cg.g
    cond = nx.condensation(g)
    order = []
    for comp in nx.topological_sort(cond):
        order.extend(sorted(cond.nodes[comp]["members"]))
    return [n for n in order if n in set(names)]
