"""bf16-convert: compute in bfloat16 where float32 was, on the TPU (default) or everywhere.

    bf16-convert{scope=tpu|all filterlist=Exp,Pow skip-safety-checks=false keep-f32-ops=
                 keep-f32-outputs=true}

The converter's `bfloat16_optimization` (ConverterOptions field 201, options 203).

Scope. `scope=tpu`: functions with `smopt.tpu_function = true` and every function they
reach in the call graph. `scope=all`: every function except the SavedModel's
`__inference__traced_save_*` / `__inference__traced_restore_*`; the main graph is never
converted (but its variable handles and reads follow a converted variable's type).

Precision policy (passes/data/bf16_policy.json, loaded by passes/numerics/bf16_policy.py; at least as
careful as TensorFlow's own oneDNN bfloat16 auto-mixed-precision, whose allow/infer/clear/
deny lists from grappler's auto_mixed_precision_lists.h the file holds). Each op in scope
with a float32 type attribute, in program order:
- allow (MatMul, BatchMatMul*, Conv*, DepthwiseConv2dNative, Einsum, ...): bfloat16.
- infer (Add*, BiasAdd, Mul, Sub, Tanh, Sigmoid, Erf, FusedBatchNormV3, ...) and clear
  (data movement, Relu, Max, comparisons, ...): bfloat16 when one of its float inputs is
  bfloat16 and none is tainted; float32 otherwise (a function's float32 arguments, call
  results and anything computed from them stay float32 until an allow op: the window and
  framing before an FFT are not rounded). Constants and variable reads are neutral.
- kept (deny: TensorFlow's deny list plus sums and means of every size, softmax, rsqrt and
  other normalization statistics, exponentials and logarithms, FFTs and complex magnitudes;
  training-mode batch norm; `keep-f32-ops` adds or removes entries): float32, and its
  float32 results are tainted: infer and clear ops computed from them stay float32 (and
  taint theirs) up to the next allow op, as TensorFlow propagates deny. A layer norm between
  two MatMuls thus runs in float32.
- model outputs: in a function whose float32 results are outputs (TPU, signature, aliased
  and exported functions), an allow op whose result reaches an output only through infer
  and clear ops that nothing else uses (ops that compute in float32 anyway, such as a kept
  Softmax, may) is kept with those ops, when other allow ops in the function or what it
  calls still convert: the output projection and its bias compute in float32, so the
  outputs are not rounded to bfloat16 only to be cast back; the projection's weights are
  still stored bfloat16 and read through an exact Cast (`keep-f32-outputs=false`
  turns this off; a model whose only allow op is its projection keeps it bfloat16).
- loop-carried state: in the body of every While in scope, each op whose result reaches a
  value the body returns changed (not its argument passed through) is kept, as is every
  function such an op calls: an LSTM/GRU recurrence (gates, cell and hidden state, the
  MatMuls feeding them) computes in float32 every iteration, as it does under TensorFlow's
  rewrite, which leaves tf_keras RNN functions alone.
- `filterlist` ops: float32 like kept ops but untainted; their outputs count as bfloat16 for
  their users ("cast back to bfloat16"). Ops on no list: float32, untainted.
- Whatever the category, attributes that type only inputs (Shape's `T`, Cast's `SrcT`)
  follow their inputs when all are bfloat16 (exact), and a Cast of a bfloat16 value to
  float32 becomes a no-op and is removed; a Cast from an integer stays float32 (users that
  need bfloat16 get their own Cast of the integer). Dead ops (unused, no side effects:
  TensorFlow prunes them) decide nothing and stay.
An op is converted only when TensorFlow has a CPU kernel for the new attribute values
(passes/bf16_cpu_kernels.json, from TF 2.21's kernel and op registries): so every type stays
within its OpDef's allowed types and a `--target cpu` model still runs. Attributes that must
stay float32 stay (FusedBatchNormV3's statistics `U`). Integer, string, resource and shape
computations are untouched; ops on resources or variants, ops with function attributes,
unknown ops and ops whose float type describes bytes, text or an interface (Bitcast,
DecodeRaw, AsString, SaveV2, infeed/outfeed, ...) keep their types. Float32 constants
feeding bfloat16 users become bfloat16 constants (values rounded with ml_dtypes, nearest
even, as TF's Cast); a constant with users of both kinds gets a bfloat16 twin.

Casts. Where a value's type differs from what a user needs, one Cast per value and type is
inserted right after the value's definition (at the top for arguments) and shared by all
users. A value that is itself a Cast of a value of the needed type is replaced by that value
when the round trip is exact (bf16 -> f32 -> bf16) or the cast is one this pass inserted
(f32 -> bf16 -> f32 uses the float32 original); a Cast from an integer needed in the other
float type is redone from the integer rather than cast again (no double rounding); an existing Cast serves later users needing the
same conversion; a Cast that becomes a no-op (SrcT == DstT) is removed. Kept ops thus get
their inputs cast to float32 and their outputs cast back to bfloat16 only where a bfloat16
user exists.

Signatures. Functions whose identity is a contract keep their float32 arguments and results
and cast at the boundary: signature functions (serving inputs and outputs stay float32),
aliased and exported functions (callable after `tf.saved_model.load`), TPU functions, and
functions called through control flow (If/While/Case), from out-of-scope code or
recursively. Other functions in scope (called only through PartitionedCall,
StatefulPartitionedCall or direct calls from functions in scope) are converted callees
first: an argument becomes bfloat16 when an allow op uses it (it would be cast to bfloat16
anyway; infer and clear ops follow what the callee computes), a result when the returned
value is bfloat16, and every call site's Tin/Tout and types follow.

Variables. Ops are converted first, with variable reads still float32; then a float32
variable with a read in scope that feeds bfloat16 compute (through data movement, calls
and control flow) is converted itself (value rounded to bfloat16 with `module.set_variable`,
so the checkpoint, the object graph and HBM hold bfloat16), and one whose every use
computes in float32 (LSTM weights in a kept recurrence, layer norm scales after a kept
Mean) keeps its float32 values. Converting updates the main graph's VarHandleOp, the handle
subtypes of every resource argument that carries it, every ReadVariableOp/ResourceGather/
Assign*VariableOp `dtype` (also in CPU functions: their reads get a Cast back to float32,
their writes a Cast to bfloat16, so CPU numerics keep the float32 program), and the
save/restore functions' SaveV2/RestoreV2 `dtypes` and Identity chains (so re-saving and the
C++ loader's restore agree with the checkpoint); the Casts to bfloat16 after its reads
disappear, and data movement between a read and such a Cast (Keras reshapes biases) becomes
bfloat16 instead of being cast twice.
Converting the variable rather than casting after each read is what halves its memory and
transfer cost, which is the point of the optimization; it keeps the graph valid for both
loaders (tf.saved_model.load follows the object graph and bound inputs, the C++ loader the
main graph and the restore function) because every op touching the variable's value is
updated together. Handles are followed through calls, control flow and Identity; handles
that share a variable (Keras 3 exports save a variable through another VarHandleOp than the
one its functions capture) and all variables they carry are converted as one group. A group
is instead kept float32, and read through a Cast inserted right after each ReadVariableOp,
when that cannot be done safely: a value cannot be read (IR text without a value), a handle
reaches an op other than reads, writes, Identity, calls and control flow (e.g.
ResourceApply*), or a save/restore chain is not the usual ReadVariableOp -> Identity* ->
SaveV2 / RestoreV2 -> Identity* -> AssignVariableOp.

Safety check: a model with bfloat16 ops in scope is refused (pre-existing bfloat16 ops can
cause issues with the optimization) unless `skip-safety-checks=true`.
"""
from __future__ import annotations

import itertools

import ml_dtypes
import networkx as nx
import numpy as np

from smopt.ir import opdefs
from smopt.ir import types as T
from smopt.ir.attributes import DenseElements, FuncAttr
from smopt.ir.builder import Builder
from smopt.ir.callgraph import GRAPH
from smopt.ir.core import Op, OpResult

from smopt.passes.numerics import bf16_policy as data
from smopt.passes.analysis.traits import (CASE_OPS, IF_OPS, PLAIN_CALLS, VARIABLE_READS, VARIABLE_WRITES, WHILE_OPS,
                                          SideEffects)
from smopt.passes.analysis.variables import THROUGH_CONTROL_FLOW, ResourceAnalysis
from smopt.passes.dce import dead_ops
from smopt.passes.framework.registry import Pass, PassError, option, register

F32, BF16 = T.float32, T.bfloat16
SAVE_PREFIX = "__inference__traced_save_"
RESTORE_PREFIX = "__inference__traced_restore_"


def _is_tensor(v):
    return isinstance(v.type, T.TensorType)


def _elem(v):
    return v.type.element if _is_tensor(v) else None


def _retype(v, dtype):
    v.type = T.TensorType(dtype, v.type.shape)


def _has_dtype(value, dtype):
    if isinstance(value, list):
        return any(x is dtype for x in value)
    return value is dtype


def _swap_dtype(value, old, new):
    if isinstance(value, list):
        return [new if x is old else x for x in value]
    return new if value is old else value


def _type_names(value):
    if isinstance(value, list):
        return [x.name for x in value]
    return value.name


def _const_array(v):
    """The numpy value of `v` when a Const defines it, else None."""
    if isinstance(v, OpResult) and v.op.type == "Const":
        val = v.op.attrs.get("value")
        if isinstance(val, DenseElements):
            return val.array
    return None


def _tensor_slots(args, attrs):
    """One (type attr or None, index in a type list or None) per tensor of these arg defs."""
    out = []
    for a in args:
        if "number_attr" in a:
            n = attrs.get(a["number_attr"])
        elif "type_list_attr" in a:
            lst = attrs.get(a["type_list_attr"])
            n = len(lst) if isinstance(lst, list) else None
        else:
            n = 1
        if not isinstance(n, int):
            return None
        if "type_list_attr" in a:
            out.extend((a["type_list_attr"], j) for j in range(n))
        else:
            out.extend((a.get("type_attr"), None) for _ in range(n))
    return out


def _slot_type(attrs, slot):
    attr, j = slot
    if attr is None:
        return None
    v = attrs.get(attr)
    if j is None:
        return v if isinstance(v, T.DType) else None
    return v[j] if isinstance(v, list) and j < len(v) and isinstance(v[j], T.DType) else None


# Ops whose result depends on their input's shape and dtype only.
SHAPE_ONLY_USERS = frozenset({"Shape", "ShapeN", "Size", "Rank", "ZerosLike", "OnesLike"})


def value_dead_ops(fn, effects):
    """ids of the ops of `fn` whose values nothing needs: dead ops, and side-effect-free ops
    whose data results reach only shape-only users (SHAPE_ONLY_USERS) or other such ops,
    never a return. Their precision cannot change any output."""
    vdead = {id(op) for op in dead_ops(fn, effects)}
    for op in reversed(fn.ops):
        if id(op) in vdead or effects.op_stateful(op) or op.callee is not None or not op.results:
            continue
        if all(i < 0 or (isinstance(u, Op) and (id(u) in vdead or u.type in SHAPE_ONLY_USERS))
               for r in op.results for u, i in r.uses):
            vdead.add(id(op))
    return vdead


@register
class BF16Convert(Pass):
    name = "bf16-convert"
    title = "BFloat16Conversion"
    summary = "Convert float32 ops, constants and variables to bfloat16 (TPU functions or all)"
    scope: str = option(
        "tpu", "tpu: TPU functions and what they call; all: the whole model", choices=("tpu", "all"))
    filterlist: list[str] = option(
        [], "op types that stay float32 (inputs cast to float32, outputs back to bfloat16)")
    skip_safety_checks: bool = option(False, "convert even if the model already contains bfloat16 ops")
    keep_f32_ops: list[str] = option(
        [], "op types kept float32 besides the built-in list ('-Name' removes a built-in one)")
    keep_f32_outputs: bool = option(
        True, "compute model outputs in float32 from the last allow op on (the output projection)")
    statistics = {
        "num-ops-converted": "Number of ops whose float32 types became bfloat16",
        "num-casts-inserted": "Number of Cast ops inserted",
        "num-casts-folded": "Number of existing Cast ops removed as no-ops",
        "num-constants-converted": "Number of bfloat16 constants made from float32 ones",
        "num-variables-converted": "Number of variables stored as bfloat16",
        "num-variables-kept": "Number of variables read in scope but kept float32 (cast after reads)",
        "num-signatures-converted": "Number of internal functions with bfloat16 arguments or results",
        "num-output-ops-kept": "Number of ops computing a float32 model output from an allow op, kept float32",
    }

    # ---- driver -------------------------------------------------------------------------
    def run(self, module):
        self.module = module
        for opt, names in (("filterlist", self.filterlist), ("keep-f32-ops", self.keep_f32_ops)):
            for n in names:
                base = n[1:] if opt == "keep-f32-ops" and n.startswith("-") else n
                if opdefs.lookup(base, module) is None:
                    raise PassError(f"{opt} names '{base}', which is not a TensorFlow op type")
        self.keep = data.keep_f32_ops(self.keep_f32_ops)
        self.filtered = frozenset(self.filterlist)
        cg = module.call_graph()
        self.in_scope = self._scope(module, cg)
        if not self.skip_safety_checks:
            self._safety_check(module)
        # Operand and result types as imported (retaken for in-scope functions after step 1):
        # what each op and function requires where this pass does not change it.
        self.snapshot = {}
        self.snapshot_results = {}   # id(variable read) -> its result's dtype before variables change
        self.orig_results = {}
        for fn in module.all_functions():
            self._take_snapshot(fn)
        self.overrides = {}       # id(op) -> operand dtypes required after variable changes
        self.graveyard = []       # erased ops, kept alive so that no new object reuses their id
        self.filtered_outputs = set()  # ids of filterlisted ops' results: bfloat16 to their users
        self.inserted_casts = set()    # ids of the Cast ops this pass inserted
        self.tainted_returns = {}      # function name -> indices of results computed from kept ops
        self.loop_state, self.f32_functions = self._loop_state(module, cg)
        # Dead ops (TensorFlow prunes them) and ops whose values only feed shapes (tf_keras
        # RNNs compute a first step outside the loop for `zeros_like`) decide nothing and
        # stay as they are: they must not store the recurrent kernels bfloat16.
        effects = SideEffects(module)
        self.dead = set()
        for fn in self._scoped_functions(module):
            self.dead |= value_dead_ops(fn, effects)
        self.output_ops = set()
        if self.keep_f32_outputs:
            self.output_ops = self._output_ops(module)
            self.bump("num-output-ops-kept", len(self.output_ops))
        self.converted_sigs = set()
        # 1. Ops: each in-scope function, callees first; variable reads are still float32.
        order, eligible = self._order(module, cg)
        for fn in order:
            if fn.name not in self.f32_functions:
                _Rewriter(self, fn, converting=True, convert_sig=fn.name in eligible).run()
        # 2. Variables whose reads now feed bfloat16 ops, then casts wherever a type changed.
        for fn in order:
            self._take_snapshot(fn)
        self._convert_variables(module)
        for fn in order:
            if fn.name not in self.f32_functions:
                self._sink_into_reads(fn)
        for fn in module.all_functions():
            _Rewriter(self, fn, converting=False, convert_sig=False).run()

    def _take_snapshot(self, fn):
        for op in fn.ops:
            self.snapshot[id(op)] = [_elem(v) for v in op.operands]
            if op.type in VARIABLE_READS and op.results:
                self.snapshot_results[id(op)] = _elem(op.results[0])
        self.orig_results[id(fn)] = [_elem(v) for v in fn.returns]

    def category(self, op):
        """The policy's word on `op`: 'allow', 'infer', 'clear', 'keep' or None (float32)."""
        if op.type in self.filtered:
            return None
        if id(op) in self.loop_state or id(op) in self.output_ops or data.kept_by_attrs(op.type, op.attrs):
            return "keep"
        return data.category(op.type, self.keep)

    def _output_ops(self, module):
        """ids of the ops that compute a model output from the last allow op on: in each
        in-scope function whose float32 results are outputs (TPU functions, signature, aliased
        and exported functions), every allow op whose result reaches a float32 result only
        through infer and clear ops, and those ops, when none of them has another user but
        ops that compute in float32 anyway (the classifier's or language model's output
        projection and its bias; a kept Softmax may use the logits). Rounding such a
        result to bfloat16 and casting it back at the function's boundary only takes 8 bits
        from the model's outputs. A chain is kept only when other allow ops (in the function
        or the in-scope functions it reaches) still compute in bfloat16: a model whose only
        heavy op is its output projection (one dense layer, or an RNN classifier whose
        recurrence stays float32) keeps that projection bfloat16."""
        fixed = module.aliased_functions() | {s.function for s in module.signatures.values()}
        cg = module.call_graph()
        out = set()
        for fn in self._scoped_functions(module):
            if fn.name in self.f32_functions or not (
                    fn.attrs.get("smopt.tpu_function") is True or fn.name in fixed
                    or fn.attrs.get("tf_saved_model.exported")):
                continue
            chain = self._output_chain(fn)
            region = [fn] + [module.functions[n] for n in sorted(cg.reachable(fn.name))
                             if n in self.in_scope and n not in self.f32_functions]
            if any(self.category(op) == "allow" and id(op) not in chain and id(op) not in self.dead
                   for f in region for op in f.ops):
                out |= chain
        return out

    def _output_chain(self, fn):
        chain = {}
        stack = [v for v in fn.returns if isinstance(v, OpResult) and _elem(v) is F32]
        while stack:
            v = stack.pop()
            op = v.op
            if id(op) in chain or id(op) in self.dead or op.callee is not None:
                continue
            cat = self.category(op)
            if cat not in ("allow", "infer", "clear"):
                continue
            chain[id(op)] = op
            if cat != "allow":
                stack.extend(x for x in op.operands if isinstance(x, OpResult) and _elem(x) is F32
                             and _const_array(x) is None and x.op.type not in VARIABLE_READS)
        # Only ops whose every (data) use is in the chain, a return of `fn` or an op that
        # computes in float32 anyway (a kept Softmax on the logits).
        def inside(u):
            return u is fn or id(u) in chain or (
                isinstance(u, Op) and u.callee is None and self.category(u) in ("keep", None))

        changed = True
        while changed:
            changed = False
            for k, op in list(chain.items()):
                if any(i >= 0 and not inside(u) for r in op.results for u, i in r.uses):
                    del chain[k]
                    changed = True
        # Of those, the allow ops and what lies between them and the returns.
        keep = {k for k, op in chain.items() if self.category(op) == "allow"}
        stack = [chain[k] for k in keep]
        while stack:
            op = stack.pop()
            for r in op.results:
                for u, i in r.uses:
                    if i >= 0 and u is not fn and id(u) in chain and id(u) not in keep:
                        keep.add(id(u))
                        stack.append(u)
        return keep

    def _loop_state(self, module, cg):
        """(ids of ops, names of functions) that compute loop-carried state: in the body of
        every While in scope, each op whose result reaches a value the body returns changed
        (not its own argument passed through), and every function such an op calls."""
        ops, roots = set(), set()
        for fn in self._scoped_functions(module):
            for w in fn.ops:
                body = w.attrs.get("body") if w.type in WHILE_OPS else None
                g = module.functions.get(body.name) if isinstance(body, FuncAttr) else None
                if g is None:
                    continue
                stack = [v for i, v in enumerate(g.returns) if i >= len(g.args) or v is not g.args[i]]
                seen = set()
                while stack:
                    v = stack.pop()
                    if not isinstance(v, OpResult) or id(v.op) in seen:
                        continue
                    op = v.op
                    seen.add(id(op))
                    ops.add(id(op))
                    stack.extend(op.operands)
                    if op.callee is not None:
                        roots.add(op.callee)
                    for val in op.attrs.values():
                        for f in (val if isinstance(val, list) else [val]):
                            if isinstance(f, FuncAttr):
                                roots.add(f.name)
        funcs = set()
        for r in roots:
            if r in module.functions:
                funcs.add(r)
                funcs |= {n for n in cg.reachable(r) if n in module.functions}
        return ops, funcs

    def _scope(self, module, cg):
        if self.scope == "all":
            return {n for n in module.functions if not n.startswith((SAVE_PREFIX, RESTORE_PREFIX))}
        roots = {n for n, f in module.functions.items() if f.attrs.get("smopt.tpu_function") is True}
        out = set(roots)
        for r in roots:
            out |= {n for n in cg.reachable(r) if n in module.functions}
        return out

    def _scoped_functions(self, module):
        return [f for n, f in module.functions.items() if n in self.in_scope]

    def _safety_check(self, module):
        for fn in self._scoped_functions(module):
            for op in fn.ops:
                if any(_elem(r) is BF16 for r in op.results) or \
                        any(_has_dtype(v, BF16) for v in op.attrs.values()):
                    raise PassError(
                        f"the model already contains bfloat16 ops: node '{op.name}' ({op.type}) in "
                        f"@{fn.name}; pre-existing bfloat16 ops can cause issues with the optimization "
                        "(skip-safety-checks=true skips this check)")

    def _order(self, module, cg):
        """In-scope functions callees first, and those whose signature may become bfloat16."""
        sub = cg.g.subgraph(self.in_scope)
        cond = nx.condensation(sub)
        position = {n: i for i, n in enumerate(module.functions)}
        order = []
        for c in reversed(list(nx.topological_sort(cond))):
            order.extend(sorted(cond.nodes[c]["members"], key=position.__getitem__))
        recursive = cg.recursive_functions()
        fixed = module.aliased_functions() | {s.function for s in module.signatures.values()}
        eligible = set()
        for name in order:
            f = module.functions[name]
            if name in fixed or name in recursive or f.attrs.get("tf_saved_model.exported") \
                    or f.attrs.get("smopt.tpu_function"):
                continue
            callers = list(cg.g.predecessors(name))
            if not callers or any(c == GRAPH or c not in self.in_scope for c in callers):
                continue
            sites = [s for c in callers for s in cg.g.edges[c, name]["sites"]]
            if all(how == "call" or (how == "f" and op.type in PLAIN_CALLS) for op, how in sites):
                eligible.add(name)
        return [module.functions[n] for n in order], eligible

    # ---- variables ------------------------------------------------------------------------
    def _convert_variables(self, module):
        if not module.variables:
            return
        res = ResourceAnalysis(module, THROUGH_CONTROL_FLOW)
        for comp in res.components():
            vars_, classes = comp.variables, comp.classes
            uses = [u for c in classes for u in c.uses]
            if not any(role == "reader" and not fn.is_graph and fn.name in self.in_scope
                       and self._feeds_bf16(op.results[0]) for op, fn, role in uses):
                continue  # every use computes in float32: no reason to round the values
            if any(not isinstance(v.type.element, T.DType) or v.type.element is not F32 for v in vars_):
                self.bump("num-variables-kept", len(vars_))
                continue
            ok = (not any(v.path in res.broken for v in vars_)
                  and all(role != "opaque" for _, _, role in uses)
                  and all(role not in ("reader", "writer")
                          or data.cpu_kernel_accepts(op.type, {"dtype": "bfloat16"}) for op, _, role in uses))
            values = []
            if ok:
                try:
                    values = [np.asarray(module.read_variable(v)) for v in vars_]
                except LookupError:
                    ok = False
            if not ok:
                self.bump("num-variables-kept", len(vars_))
                continue
            for var, value in zip(vars_, values):
                self.module.set_variable(var, value.astype(np.float32).astype(ml_dtypes.bfloat16),
                                         T.TensorType(BF16, var.type.shape))
                self.bump("num-variables-converted")
                for save, i, chain in res.save_links.get(var.path, ()):
                    save.attrs["dtypes"] = [BF16 if j == i else t for j, t in enumerate(save.attrs["dtypes"])]
                    self._require(save, 3 + i, BF16)
                    self._retype_chain(chain)
                for restore, i, chain in res.restore_links.get(var.path, ()):
                    restore.attrs["dtypes"] = [BF16 if j == i else t
                                               for j, t in enumerate(restore.attrs["dtypes"])]
                    _retype(restore.results[i], BF16)
                    self._retype_chain(chain)
            for cls in classes:
                for v in cls.values:
                    if v.type.subtypes:
                        v.type = T.TensorType(v.type.element, v.type.shape,
                                              tuple(s.with_element(BF16) if s.element is F32 else s
                                                    for s in v.type.subtypes))
                for op, _, role in cls.uses:
                    if role in ("handle", "reader", "writer"):
                        op.attrs["dtype"] = BF16
                    if role == "reader":
                        _retype(op.results[0], BF16)
                    elif role == "writer":
                        self._require(op, VARIABLE_WRITES[op.type], BF16)

    def _sink_into_reads(self, fn):
        """Data-movement ops between a variable read that became bfloat16 and the Casts to
        bfloat16 after them (Keras reshapes biases) become bfloat16 themselves, instead of
        casting the read back to float32 and the moved value to bfloat16 again."""
        changed = set()   # ids of values whose type this conversion changed
        for op in fn.ops:
            if id(op) not in self.snapshot or id(op) in self.dead:
                continue
            if op.type in VARIABLE_READS:
                if op.results and _elem(op.results[0]) is BF16 and self.snapshot_results.get(id(op)) is F32:
                    changed.add(id(op.results[0]))
                continue
            if self.category(op) != "clear":
                continue
            floats = [v for v in op.operands if _elem(v) in (F32, BF16)]
            outs = [r for r in op.results if _elem(r) is F32]
            if not floats or not outs or not all(id(v) in changed or _const_array(v) is not None for v in floats) \
                    or not any(id(v) in changed for v in floats):
                continue
            if not all(isinstance(u, Op) and i >= 0 and (
                    (u.type == "Cast" and u.attrs.get("DstT") is BF16) or self.category(u) == "clear")
                    for r in outs for u, i in r.uses):
                continue
            plan = self.plan(op, assume_bf16={id(v) for v in floats})
            if plan is None:
                continue
            subset, ins, outs_slots, attrs = plan
            for a in subset:
                op.attrs[a] = _swap_dtype(attrs[a], F32, BF16)
            for r, sl in zip(op.results, outs_slots):
                if sl[0] in subset and _slot_type(attrs, sl) is F32 and _elem(r) is F32:
                    _retype(r, BF16)
                    changed.add(id(r))
            snap = self.snapshot[id(op)]
            self.overrides[id(op)] = [BF16 if sl[0] in subset and _slot_type(attrs, sl) is F32 else snap[i]
                                      for i, sl in enumerate(ins)]
            self.bump("num-ops-converted")

    def _feeds_bf16(self, value):
        """Does this (float32) value reach a bfloat16 op: a Cast to bfloat16, directly or
        through float32 data-movement ops and call or control-flow arguments? An output
        projection kept float32 counts as one: its weights are stored bfloat16 like the rest
        of the model's (TensorFlow's AMP rounds them too; a tied embedding table stays
        halved) and read through an exact Cast to float32."""
        stack, seen = [value], set()
        while stack:
            v = stack.pop()
            if id(v) in seen:
                continue
            seen.add(id(v))
            for op, i in v.uses:
                if not isinstance(op, Op) or i < 0:
                    continue
                if op.type == "Cast" and op.attrs.get("DstT") is BF16:
                    return True
                if id(op) in self.output_ops and data.category(op.type, self.keep) == "allow":
                    return True
                if data.category(op.type, self.keep) == "clear":
                    stack.extend(r for r in op.results if _elem(r) is F32)
                stack.extend(self._callee_args(op, i))
        return False

    def _callee_args(self, op, index):
        """The arguments of the functions `op` calls (calls, If/Case branches, While body and
        cond) that receive its operand `index`."""
        fns = self.module.functions
        if op.callee is not None:
            names, k = [op.callee], index
        elif op.type in IF_OPS:
            names, k = [op.attrs.get(a) for a in IF_OPS[op.type]], index - 1
        elif op.type in CASE_OPS:
            names, k = list(op.attrs.get("branches") or []), index - 1
        elif op.type in WHILE_OPS:
            names, k = [op.attrs.get("body"), op.attrs.get("cond")], index
        else:
            return []
        out = []
        for f in names:
            g = fns.get(f.name if isinstance(f, FuncAttr) else f)
            if g is not None and 0 <= k < len(g.args):
                out.append(g.args[k])
        return out

    def _retype_chain(self, chain):
        for ident in chain:
            ident.attrs["T"] = BF16
            _retype(ident.results[0], BF16)
            self._require(ident, 0, BF16)

    def _require(self, op, index, dtype):
        req = self.overrides.setdefault(id(op), list(self.snapshot[id(op)]))
        req[index] = dtype

    # ---- op planning ------------------------------------------------------------------------
    def plan(self, op, assume_bf16=(), tainted=()):
        """(attrs to convert, input slots, output slots, attrs with defaults) or None.

        By the op's category (see `category`): allow ops convert; infer and clear ops convert
        when one of their float inputs is bfloat16 (a value in `assume_bf16` counts as one, a
        filterlisted op's result too) and none is in `tainted` (computed from a kept op);
        kept ops and ops on no list stay float32. Constants and variable reads are neutral.
        Whatever the category, an input-only attr (Shape's T, Cast's SrcT) follows its inputs
        when they are all bfloat16 (exact: no value changes), and a Cast's DstT becomes
        bfloat16 when it casts a bfloat16 value (the Cast disappears)."""
        if op.type in data.NEVER_CONVERT_OPS or op.type == "Const" or op.callee is not None \
                or id(op) in self.dead:
            return None
        cat = self.category(op)
        if cat == "keep":
            return None
        od = opdefs.lookup(op.type, self.module)
        if od is None or any(_is_tensor(v) and v.type.element in (T.resource, T.variant)
                             for v in list(op.operands) + list(op.results)):
            return None
        if any(isinstance(v, FuncAttr) or (isinstance(v, list) and any(isinstance(x, FuncAttr) for x in v))
               for v in op.attrs.values()):
            return None
        attrs = dict(opdefs.with_defaults(od, op.attrs))
        ins, outs = _tensor_slots(od["inputs"], attrs), _tensor_slots(od["outputs"], attrs)
        if ins is None or outs is None or len(ins) != len(op.operands) or len(outs) != len(op.results):
            return None
        type_attrs = sorted(a for a, kind in od["attrs"].items() if kind in ("type", "list(type)"))
        values = {}
        for a in type_attrs:
            v = attrs.get(a)
            if isinstance(v, T.DType) or (isinstance(v, list) and all(isinstance(x, T.DType) for x in v)):
                values[a] = v
            elif v is not None:
                return None  # a placeholder or something this pass cannot reason about
        out_attrs = {s[0] for s in outs if s[0] is not None}

        def kind(v):
            if _elem(v) is BF16 or id(v) in assume_bf16 or id(v) in self.filtered_outputs:
                return "bf16"
            if _const_array(v) is not None or (isinstance(v, OpResult) and v.op.type in VARIABLE_READS):
                return "neutral"
            return "tainted" if id(v) in tainted else "f32"

        cands = []
        for a in type_attrs:
            if a not in values or not _has_dtype(values[a], F32):
                continue
            governed = op.operands if op.type == "Cast" else \
                [op.operands[i] for i, s in enumerate(ins) if s[0] == a and _slot_type(attrs, s) is F32]
            kinds = {kind(v) for v in governed}
            if a not in out_attrs or op.type == "Cast":
                ok = "bf16" in kinds and not kinds & {"f32", "tainted"}
            elif cat == "allow":
                ok = True
            elif cat in ("infer", "clear"):
                ok = "bf16" in kinds and "tainted" not in kinds
            else:
                ok = False
            if ok:
                cands.append(a)
        for r in range(len(cands), 0, -1):
            for subset in itertools.combinations(cands, r):
                new = {a: _type_names(_swap_dtype(v, F32, BF16) if a in subset else v) for a, v in values.items()}
                if data.cpu_kernel_accepts(op.type, new):
                    return set(subset), ins, outs, attrs
        return None

    def wants_bf16(self, op, index, assume_bf16):
        """Would `op` (in scope) take operand `index` as bfloat16 if it were bfloat16? Asked
        for the arguments of callees whose signature may change: only allow ops (which take
        bfloat16 whatever the caller passes) and converted callees do; an infer or clear op
        follows what the callee computes itself, the caller's values being float32 to it."""
        callee = op.callee
        if callee is not None:
            if callee in self.converted_sigs and op.type in PLAIN_CALLS + (callee,):
                arg = self.module.functions[callee].args[index]
                return arg.type.element is BF16
            return False
        if self.category(op) != "allow":
            return False
        p = self.plan(op, assume_bf16)
        if p is None:
            return False
        subset, ins, _, attrs = p
        return ins[index][0] in subset and _slot_type(attrs, ins[index]) is F32


class _Rewriter:
    """Converts one function (when `converting`) and inserts the casts its types need."""

    def __init__(self, p, fn, converting, convert_sig):
        self.p = p
        self.fn = fn
        self.converting = converting
        self.convert_sig = convert_sig
        self.cache = {}           # (id(value), dtype name) -> value of that type
        self.inserted = set()     # ids of Cast ops this pass inserted
        self.twins = {}           # id(original Const op) -> its converted copy
        self.arg_casts = Builder.at_start(fn)   # casts of arguments: first, in creation order
        self.sig_changed = False
        self.tainted = set()      # ids of float32 values computed from kept ops (see _track)

    def run(self):
        fn, p = self.fn, self.p
        if self.convert_sig:
            for a in fn.args:
                if _elem(a) is F32 and any(isinstance(u, Op) and i >= 0 and p.wants_bf16(u, i, {id(a)})
                                           for u, i in a.uses):
                    _retype(a, BF16)
                    self.sig_changed = True
        for op in list(fn.ops):
            if op.parent is not fn:
                continue  # folded away
            if not self.converting and op.type == "Cast" and self._redundant_cast(op) \
                    and self._fold_noop_cast(op):
                continue
            before = list(op.operands)
            reqs = self._requirements(op)
            for i, v in enumerate(before):
                want, have = reqs[i] if i < len(reqs) else None, _elem(v)
                if want is None or have is want or have not in (F32, BF16) or want not in (F32, BF16):
                    continue
                op.set_operand(i, self.as_type(v, want))
            if self.converting:
                self._track(op, before)
            if op.type == "Cast" and op.attrs.get("SrcT") is op.attrs.get("DstT") is not None \
                    and self.converting and id(op) not in self.inserted:
                self._fold_noop_cast(op)
            elif op.type == "Cast" and op.parent is fn:
                self._reuse_cast(op)
        if not fn.is_graph:
            orig = p.orig_results[id(fn)]
            rets = []
            for i, v in enumerate(fn.returns):
                want = _elem(v) if self.convert_sig else orig[i]
                have = _elem(v)
                if want in (F32, BF16) and have in (F32, BF16) and want is not have:
                    v = self.as_type(v, want)
                rets.append(v)
            if any(a is not b for a, b in zip(rets, fn.returns)):
                fn.set_returns(rets)
            if self.converting:
                p.tainted_returns[fn.name] = {i for i, v in enumerate(fn.returns) if id(v) in self.tainted}
            if self.convert_sig:
                if self.sig_changed or any(
                        o is F32 and _elem(v) is BF16 for o, v in zip(orig, fn.returns)):
                    p.converted_sigs.add(fn.name)
                    p.bump("num-signatures-converted")
        for twin in self.twins.values():
            orig = twin.orig
            if orig.parent is fn and not orig.has_uses:
                name = orig.name
                orig.erase()
                p.graveyard.append(orig)
                fn.rename_op(twin.op, name)

    def _track(self, op, operands):
        """Mark the float32 results of a kept op, and of an infer/clear op that stayed float32
        because an input came from one, as tainted: infer and clear ops using them stay
        float32 too, up to the next allow op (TensorFlow's deny propagation). Record a
        filterlisted op's results, which count as bfloat16 for their users."""
        p = self.p
        if op.type in p.filtered:
            p.filtered_outputs.update(id(r) for r in op.results if _elem(r) is F32)
            return
        callee = op.callee
        if callee is not None:   # results the callee computed from kept ops (callees come first)
            idx = p.tainted_returns.get(callee, ())
            self.tainted.update(id(r) for i, r in enumerate(op.results) if i in idx and _elem(r) is F32)
            return
        cat = p.category(op)
        if cat == "keep" or (cat in ("infer", "clear") and any(id(v) in self.tainted for v in operands)):
            self.tainted.update(id(r) for r in op.results if _elem(r) is F32)

    def _reuse_cast(self, op):
        """Later users that need the same conversion share an existing (rounding) Cast."""
        if len(op.operands) != 1 or op.control_inputs or op.attrs.get("Truncate") is True:
            return
        v, dst = op.operands[0], op.attrs.get("DstT")
        if _elem(v) in (F32, BF16) and dst in (F32, BF16) and _elem(op.results[0]) is dst:
            self.cache.setdefault((id(v), dst.name), op.results[0])

    def _redundant_cast(self, op):
        """An original f32 -> bf16 Cast whose input became bfloat16 (a converted variable's
        read): the round trip bf16 -> f32 -> bf16 is exact, so the input serves as is."""
        snap = self.p.snapshot.get(id(op))
        return (snap is not None and len(op.operands) == 1 and snap[0] is F32
                and _elem(op.operands[0]) is BF16 and op.attrs.get("DstT") is BF16)

    def _fold_noop_cast(self, op):
        if op.control_inputs or op.control.uses:
            return False
        op.results[0].replace_all_uses_with(op.operands[0])
        op.erase()
        self.p.graveyard.append(op)  # keeps ids used as keys unique until the pass ends
        if id(op) in self.p.inserted_casts:   # ours, made redundant by a converted variable
            self.p.bump("num-casts-inserted", -1)
        else:
            self.p.bump("num-casts-folded")
        return True

    def _requirements(self, op):
        p = self.p
        ovr = p.overrides.get(id(op))
        if ovr is not None:
            return ovr
        snap = p.snapshot.get(id(op), [_elem(v) for v in op.operands])
        if not self.converting:
            return snap
        callee = op.callee
        if callee is not None:
            if callee in p.converted_sigs and op.type in PLAIN_CALLS + (callee,):
                g = p.module.functions[callee]
                for r, ret in zip(op.results, g.returns):
                    if _elem(r) is not _elem(ret) and _elem(ret) in (F32, BF16):
                        _retype(r, _elem(ret))
                if op.type in PLAIN_CALLS:
                    op.attrs["Tin"] = [a.type.element for a in g.args]
                    op.attrs["Tout"] = [v.type.element for v in g.returns]
                return [a.type.element for a in g.args]
            return snap
        plan = p.plan(op, tainted=self.tainted)
        if plan is None:
            return snap
        subset, ins, outs, attrs = plan
        for a in subset:
            op.attrs[a] = _swap_dtype(attrs[a], F32, BF16)
        for r, s in zip(op.results, outs):
            if s[0] in subset and _slot_type(attrs, s) is F32 and _elem(r) is F32:
                _retype(r, BF16)
        p.bump("num-ops-converted")
        return [BF16 if s[0] in subset and _slot_type(attrs, s) is F32 else snap[i] for i, s in enumerate(ins)]

    # ---- values of the needed type -----------------------------------------------------------
    def as_type(self, v, dtype):
        if _elem(v) is dtype:
            return v
        key = (id(v), dtype.name)
        got = self.cache.get(key)
        if got is not None:
            return got
        prod = v.op if isinstance(v, OpResult) else None
        if prod is not None and prod.type == "Cast" and len(prod.operands) == 1:
            src = prod.operands[0]
            exact = _elem(src) is BF16 and _elem(v) is F32
            if _elem(src) is dtype and (exact or id(prod) in self.inserted):
                self.cache[key] = src
                return src
            if _elem(src) not in (F32, BF16) and _is_tensor(src) and isinstance(_elem(src), T.DType) \
                    and prod.attrs.get("Truncate") is not True:
                # Cast(int -> f32) needed as bfloat16 (or the reverse): cast the integer again.
                new = self._cast(src, dtype, base=prod.name)
                self.cache[key] = new
                return new
        if _const_array(v) is not None:
            new = self._const_twin(prod, dtype)
        else:
            new = self._cast(v, dtype)
        self.cache[key] = new
        return new

    def _const_twin(self, const, dtype):
        dense = const.attrs["value"]
        arr = np.asarray(dense.array).astype(np.float32).astype(dtype.np)
        if arr.size == 1:
            arr = arr.reshape(())  # splats may be stored as one element
        value = DenseElements(T.TensorType(dtype, dense.type.shape), arr)
        ttype = T.TensorType(dtype, const.results[0].type.shape)
        attrs = dict(const.attrs)
        attrs.update(dtype=dtype, value=value)
        suffix = "/bf16" if dtype is BF16 else "/f32"
        twin = Builder.after(const).create("Const", (), [ttype], attrs, const.name + suffix,
                                           control_inputs=list(const.control_inputs), device=const.device)
        twin_rec = _Twin(twin, const)
        self.twins[id(const)] = twin_rec
        self.p.bump("num-constants-converted")
        return twin.results[0]

    def _cast(self, v, dtype, base=None):
        if isinstance(v, OpResult):
            base = base or v.op.name + (f"_{v.index}" if v.index else "")
            device = v.op.device
        else:
            base, device = base or v.name, ""
        b = Builder.after(v.op) if isinstance(v, OpResult) else self.arg_casts
        cast = b.create("Cast", [v], [T.TensorType(dtype, v.type.shape)], {"SrcT": v.type.element, "DstT": dtype},
                        base + ("/CastToBF16" if dtype is BF16 else "/CastToF32"), device=device)
        self.inserted.add(id(cast))
        self.p.inserted_casts.add(id(cast))
        self.p.bump("num-casts-inserted")
        return cast.results[0]


class _Twin:
    """A converted copy of a Const; it takes the original's name if the original dies."""

    __slots__ = ("op", "orig")

    def __init__(self, op, orig):
        self.op = op
        self.orig = orig
