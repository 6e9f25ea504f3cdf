"""tpu-batch-function: in-graph batching with TensorFlow's `BatchFunction` op.

The converter's `batch_options` (seed 004, "Batch-Verarbeitung hinzufügen" and "Batching
im Detail"). A `BatchFunction` op gathers concurrent requests, concatenates their batched
inputs along the 0th dimension, runs its function `f` once and splits the outputs again.
It runs on the CPU only, so it is always placed in CPU code, never inside a TPU function
(functions with `smopt.tpu_function = true`, or anything such a function calls).

What is batched (at most one of the three target options may be set):

- default: every call of a TPU function from CPU code (a PartitionedCall /
  StatefulPartitionedCall or direct call in a non-TPU library function) is replaced by a
  `BatchFunction` with the call's node name, whose `f` is a small CPU wrapper
  `<tpu function>_batch_wrapper` that calls the TPU function as the original call did (so
  later passes still see an ordinary CPU -> TPU call; call sites that call the same
  function the same way share one wrapper). A TPU function that is itself a signature's
  entry function is batched like `signature-name` below (its call sites then reach that
  BatchFunction through it). Calls already inside the computation of an existing
  BatchFunction are left alone; calls from TPU code are TPU code, not batched.
- `function-alias` / `concrete-function-name`: every call site of that function (library
  functions and the main graph). `f` is the function itself when it is a CPU function whose
  batched arguments come before its captured ones, else a wrapper as above.
- `signature-name`: the whole signature, CPU and TPU: the signature's entry function keeps
  its name, arguments and results, its old body moves to `<entry>_batch_body` and the entry
  becomes one `BatchFunction` (node `batch`) around it. If the entry function was a TPU
  function, the body keeps the TPU mark (and `smopt.tpu_selected_by`), is called through a
  wrapper, and the entry becomes CPU code.
- Errors: a target called from TPU code (BatchFunction cannot run on the TPU), a function
  target nothing calls, a call that already runs inside an existing BatchFunction, unknown
  aliases, functions and signatures.

Inputs: an input is captured (`captured_tensors`, taken once per batch, never concatenated)
when its value is the same for every request, and batched (`in_tensors`) otherwise. A TF2
SavedModel passes what a tf.function captures (a `tf.constant`, a numpy array, a Keras
preprocessing layer's statistics, a variable, a table) as extra arguments, so each operand
is traced back to its origin (`CapturedInputs`): through function arguments to every call
site (and up to the signature, whose captured arguments are `tf_saved_model.bound_input`),
through call results into the callee's returns. Captured origins are bound inputs, resource
handles, `Const` ops, ops producing only resources (VarHandleOp, HashTableV2, ...), reads of
captured resources, and stateless ops whose operands are all captured; signature inputs,
Placeholders, random and other stateful ops, and arguments of functions referenced other
than by a call (loop bodies, branches) are fed, hence batched.

Static shape checks, with the TF runtime's messages (seed "Anforderungen an die Form"):
batched inputs are not scalars ("Batching input tensors must have at least one dimension"),
their 0th dimension is None/-1 in the function signature, inputs of one call with known 0th
dimensions agree ("...must have equal 0th-dimension size"), and outputs are not scalars and
have no fixed 0th dimension ("Batched output tensor's 0th dimension does not equal the sum of
the 0th dimension sizes of the input tensors"). Unknown shapes pass (the runtime checks
them); variant inputs cannot be concatenated and are refused.

Existing BatchFunction ops ("Vorhandene Stapelverarbeitungsoptionen aktualisieren"): in the
default mode every BatchFunction in the model gets the new options; with a target, the
BatchFunction that already batches it (its `f` is the target or a wrapper that only calls
it; for a signature, the BatchFunction in the entry function) is updated instead of adding
another. Updated ops keep `f`, `shared_name` and their inputs.

Options map 1:1 to `BatchOptions`; `enable_large_batch_splitting = !disable-large-batch-
splitting`. `allowed-batch-sizes` defaults to empty (no padding), as in the proto. Validation:
num_batch_threads > 0, max_batch_size > 0, batch_timeout_micros >= 0,
max_enqueued_batches > 0, allowed_batch_sizes positive and strictly increasing, the last not
greater than max_batch_size (equal to it when large batch splitting is disabled: TF's kernel
refuses anything else). Every new BatchFunction gets a `shared_name` unique in the module
(TF batches together all calls that share a queue), derived deterministically from the
caller, node and function.
"""
from __future__ import annotations

import hashlib

from smopt.ir import types as T
from smopt.ir.attributes import FuncAttr
from smopt.ir.builder import Builder
from smopt.ir.callgraph import GRAPH, call_sites
from smopt.ir.core import CALL_OPS, Argument, Function
from smopt.passes.analysis.traits import ALIASING, PLAIN_CALLS, RESOURCE_READ_ONLY, SideEffects

from smopt.passes.framework.registry import Pass, PassError, option, register
from smopt.passes.tpu_select_functions import SELECTED_BY_ATTR, TPU_ATTR, is_tpu_function



def tpu_side_functions(module, cg=None):
    """Names of the functions that run on the TPU: TPU functions and everything they call."""
    cg = cg or module.call_graph()
    out = set()
    for name, fn in module.functions.items():
        if is_tpu_function(fn):
            out.add(name)
            out |= cg.reachable(name)
    return out


def call_target(op, module):
    """The library function a (Stateful)PartitionedCall or direct call op calls, else None."""
    if op.type in PLAIN_CALLS or op.type in module.functions:
        return op.callee
    return None


# Ops whose value is fed per request even though they have no (fed) operands.
_FED_OPS = frozenset({"Placeholder", "PlaceholderV2", "PlaceholderWithDefault", "_Arg"})
_BOUND = "tf_saved_model.bound_input"


def _is_resource(ttype):
    return isinstance(ttype, T.TensorType) and ttype.dtype is T.resource


class CapturedInputs:
    """Which values are the same for every request ("captured") rather than fed from a
    signature input, by tracing each value back to its origin (see the module docstring).

    Built on the unmodified module; `captured(value)` answers for a value of any function.
    Arguments of a library function are captured when every call site passes a captured
    value; results of a call are traced into the callee's returns with the call's operands
    bound to its arguments (`binding`), so a function called both ways is judged per call."""

    def __init__(self, module):
        self.module = module
        self.effects = SideEffects(module)
        self.user_entries = {s.function for s in module.signatures.values()} | module.aliased_functions()
        self.sites = call_sites(module)   # function -> its call ops; None when referenced otherwise too
        self.memo = {}
        self.active = set()

    def captured(self, value, binding=None):
        """True if `value` does not depend on any request input. `binding`: for a value of a
        function entered through a call result, whether each argument is captured there.

        The rules (`_rule`) are generators that yield the (value, binding) queries they
        depend on; this loop answers them with an explicit stack, so the long op chains of
        real models (hundreds of layers before a TPU call) need no deep Python recursion."""
        key = (value, binding)
        if key in self.memo:
            return self.memo[key]
        stack, answer = [(key, self._rule(*key))], None
        self.active.add(key)
        while stack:
            k, rule = stack[-1]
            try:
                sub = rule.send(answer)
            except StopIteration as done:
                answer = self.memo[k] = bool(done.value)
                self.active.discard(k)
                stack.pop()
                continue
            if sub in self.memo:
                answer = self.memo[sub]
            elif sub in self.active:
                answer = False          # a cycle (recursion): nothing proves the value constant
            else:
                self.active.add(sub)
                stack.append((sub, self._rule(*sub)))
                answer = None
        return self.memo[key]

    def _rule(self, v, binding):
        if _is_resource(v.type):
            return True
        if isinstance(v, Argument):
            if binding is not None:
                return binding[v.index] if v.index < len(binding) else False
            if _BOUND in v.attrs:
                return True
            fn = v.function
            # Signature entries, aliased and exported functions are called by users too,
            # with their own values for every argument that is not a bound input.
            if fn.is_graph or fn.name in self.user_entries or fn.attrs.get("tf_saved_model.exported"):
                return False
            sites = self.sites.get(fn.name)
            if not sites:
                return False
            for op in sites:
                if v.index >= len(op.operands) or not (yield (op.operands[v.index], None)):
                    return False
            return True
        op = v.op
        if op.type in ("Const", "HostConst"):
            return True
        if op.type in _FED_OPS:
            return False
        callee = op.callee
        if op.type in CALL_OPS or callee is not None:
            g = self.module.functions.get(callee) if callee else None
            if g is None or v.index >= len(g.returns) or len(op.operands) < len(g.args):
                return False
            inner = []
            for x in op.operands[:len(g.args)]:
                inner.append((yield (x, binding)))
            return (yield (g.returns[v.index], tuple(inner)))
        if op.type in ALIASING:
            return (yield (op.operands[v.index], binding))
        for x in op.operands:
            if not (yield (x, binding)):
                return False
        # Stateful ops that only read a resource: with captured operands their value is the
        # same for every request of a batch (the state they read is the model's, not the request's).
        return op.type in RESOURCE_READ_ONLY or not self.effects.op_stateful(op)


def _shape_str(shape):
    if shape is None:
        return "unknown"
    return "[" + ", ".join("None" if d < 0 else str(d) for d in shape) + "]"


def _fname(fn):
    return "the main graph" if fn.is_graph else f"@{fn.name}"


@register
class TpuBatchFunction(Pass):
    name = "tpu-batch-function"
    title = "TpuBatchFunction"
    summary = "Wrap TPU computations, a function or a signature in BatchFunction (in-graph batching)"
    num_batch_threads: int = option(2, "scheduling threads processing batches in parallel")
    max_batch_size: int = option(8, "largest batch the op forms")
    batch_timeout_micros: int = option(5000, "longest wait before an incomplete batch is run")
    allowed_batch_sizes: list[int] = option(
        [], "batch sizes to pad up to (increasing; empty: no padding)")
    max_enqueued_batches: int = option(10, "queued batches before requests fail fast")
    disable_large_batch_splitting: bool = option(False, "disable splitting of large batches")
    function_alias: str = option("", "batch the call sites of the function with this alias")
    concrete_function_name: str = option("", "batch the call sites of this function")
    signature_name: str = option("", "batch this whole signature (CPU and TPU)")
    statistics = {
        "num-batched": "Number of call sites batched",
        "num-updated": "Number of existing BatchFunction ops updated",
    }

    # ---- options ------------------------------------------------------------------------
    def _validate(self):
        for field, value, ok, need in (
                ("num_batch_threads", self.num_batch_threads, self.num_batch_threads > 0, "greater than 0"),
                ("max_batch_size", self.max_batch_size, self.max_batch_size > 0, "greater than 0"),
                ("batch_timeout_micros", self.batch_timeout_micros, self.batch_timeout_micros >= 0, "not negative"),
                ("max_enqueued_batches", self.max_enqueued_batches, self.max_enqueued_batches > 0, "greater than 0")):
            if not ok:
                verb = "must not be negative" if need == "not negative" else f"must be {need}"
                raise PassError(f"batch options: {field} {verb} (got {value})")
        sizes = list(self.allowed_batch_sizes)
        listed = ",".join(str(s) for s in sizes)
        if any(s <= 0 for s in sizes):
            raise PassError(f"batch options: allowed_batch_sizes must be positive (got {listed})")
        if any(b <= a for a, b in zip(sizes, sizes[1:])):
            raise PassError(f"batch options: allowed_batch_sizes must increase monotonically (got {listed})")
        if sizes and sizes[-1] > self.max_batch_size:
            raise PassError(f"batch options: the last entry of allowed_batch_sizes ({sizes[-1]}) must not be "
                            f"greater than max_batch_size ({self.max_batch_size})")
        if sizes and self.disable_large_batch_splitting and sizes[-1] != self.max_batch_size:
            raise PassError(f"batch options: the last entry of allowed_batch_sizes ({sizes[-1]}) must equal "
                            f"max_batch_size ({self.max_batch_size}) when large batch splitting is disabled")
        targets = [o for o in ("function-alias", "concrete-function-name", "signature-name")
                   if getattr(self, o.replace("-", "_"))]
        if len(targets) > 1:
            raise PassError("batch options: set at most one of function-alias, concrete-function-name and "
                            f"signature-name (got {' and '.join(targets)})")

    def _option_attrs(self):
        return {"num_batch_threads": self.num_batch_threads, "max_batch_size": self.max_batch_size,
                "batch_timeout_micros": self.batch_timeout_micros,
                "max_enqueued_batches": self.max_enqueued_batches,
                "allowed_batch_sizes": list(self.allowed_batch_sizes),
                "enable_large_batch_splitting": not self.disable_large_batch_splitting}

    # ---- driver -------------------------------------------------------------------------
    def run(self, module):
        self._validate()
        self.module = module
        self.cg = module.call_graph()
        self.tpu_side = tpu_side_functions(module, self.cg)
        self.existing = [(fn, op) for fn in module.all_functions() for op in fn.ops
                         if op.type == "BatchFunction"]
        self.shared_names = {op.attrs.get("shared_name") for _, op in self.existing}
        self.wrappers = {}
        self.origins = CapturedInputs(module)
        if self.signature_name:
            self._batch_signature(self.signature_name)
        elif self.function_alias or self.concrete_function_name:
            self._batch_function()
        else:
            self._batch_default()

    def _describe(self, name):
        aliases = self.module.function_aliases_of(name)
        return f"@{name}" + (f" (function alias '{aliases[0]}')" if aliases else "")

    def _batched_region(self):
        """Functions that already run inside an existing BatchFunction's computation."""
        region = set()
        for _, op in self.existing:
            f = op.attrs.get("f")
            if isinstance(f, FuncAttr) and f.name in self.module.functions:
                region.add(f.name)
                region |= self.cg.reachable(f.name)
        return region

    def _update(self, op):
        op.attrs.update(self._option_attrs())
        self.bump("num-updated")

    def _wraps(self, f_name, target):
        """True if `f_name` is `target` or a wrapper whose only work is calling `target`."""
        if f_name == target:
            return True
        fn = self.module.functions.get(f_name)
        if fn is None:
            return False
        calls = [op for op in fn.ops if op.type not in ALIASING and op.type != "NoOp"]
        return len(calls) == 1 and call_target(calls[0], self.module) == target

    def _batch_default(self):
        m = self.module
        for _, op in self.existing:
            self._update(op)
        region = self._batched_region()
        # TPU functions that are signature entries are batched in place (which also covers
        # their call sites); other TPU functions at their call sites in CPU code.
        entries = [s for s in m.signatures.values()
                   if is_tpu_function(m.functions.get(s.function)) and s.function not in region]
        entry_names = {s.function for s in entries}
        sites = []
        for fn in list(m.all_functions()):
            name = GRAPH if fn.is_graph else fn.name
            if fn.is_graph or name in self.tpu_side or name in region:
                continue
            for op in fn.ops:
                callee = call_target(op, m)
                if callee is not None and callee not in entry_names and is_tpu_function(m.functions.get(callee)):
                    sites.append((fn, op, callee, self._captured_mask(op, m.functions[callee])))
        # Every site is judged on the unmodified module, before any call is rewritten.
        for fn, op, callee, mask in sites:
            self._wrap_call(fn, op, m.functions[callee], self._describe(callee), mask=mask)
        for sig in entries:
            if not any(op.type == "BatchFunction" for op in m.functions[sig.function].ops):
                self._wrap_entry(sig)

    def _batch_function(self):
        m = self.module
        if self.function_alias:
            targets = m.aliases.get(self.function_alias)
            if not targets:
                known = ", ".join(sorted(m.aliases)) or "none"
                raise PassError(f"batch options: function alias '{self.function_alias}' not found "
                                f"(function aliases: {known})")
        else:
            targets = [self.concrete_function_name]
            if targets[0] not in m.functions:
                raise PassError(f"batch options: concrete function '{targets[0]}' not found in the model")
        # An alias names every trace of its tf.function: each one's call sites are batched
        # (a trace nothing calls, e.g. the one only the object graph exports, is skipped).
        plans = [self._function_sites(t) for t in targets]
        if all(p is None for p in plans):
            raise PassError(f"cannot batch {self._describe(targets[0])}: nothing calls it (BatchFunction is "
                            "placed at the call sites of the batched function)")
        work = []   # every site is checked before any call is rewritten
        for target, plan in zip(targets, plans):
            if plan is None:
                continue
            covering, sites = plan
            for op in covering:
                self._update(op)
            if sites:
                work.append((target, sites, self._check_sites(target, sites)))
        for target, sites, masks in work:
            for (fn, op), mask in zip(sites, masks):
                self._wrap_call(fn, op, m.functions[target], self._describe(target), mask=mask)

    def _function_sites(self, target):
        """(existing BatchFunctions that wrap `target`, call sites of it) or None if neither."""
        m = self.module
        covering = [op for _, op in self.existing
                    if isinstance(op.attrs.get("f"), FuncAttr) and self._wraps(op.attrs["f"].name, target)]
        if covering:
            return covering, []
        sites = []
        for fn in list(m.all_functions()):
            for op in fn.ops:
                if call_target(op, m) == target:
                    sites.append((fn, op))
        return ([], sites) if sites else None

    def _check_sites(self, target, sites):
        """Refuse call sites BatchFunction cannot wrap; the captured-input masks of the others."""
        m = self.module
        what = self._describe(target)
        region = self._batched_region()
        for fn, op in sites:
            name = GRAPH if fn.is_graph else fn.name
            if name in self.tpu_side:
                raise PassError(f"cannot batch {what}: it is called from {_fname(fn)}, which runs on the TPU; "
                                "BatchFunction cannot run on the TPU, so a batched function must be called "
                                "from CPU code")
            if name in region:
                raise PassError(f"cannot batch {what}: its call in {_fname(fn)} already runs inside an "
                                "existing BatchFunction; batch either the enclosing computation or the function")
        return [self._captured_mask(op, m.functions[target]) for _, op in sites]

    def _batch_signature(self, name):
        m = self.module
        sig = m.signatures.get(name)
        if sig is None:
            known = ", ".join(sorted(m.signatures)) or "none"
            raise PassError(f"batch options: signature '{name}' not found (signatures: {known})")
        entry = m.functions[sig.function]
        existing = [op for op in entry.ops if op.type == "BatchFunction"]
        if existing:
            for op in existing:
                self._update(op)
            return
        self._wrap_entry(sig)

    # ---- rewriting ----------------------------------------------------------------------
    def _wrap_entry(self, sig):
        """Move the signature entry's body into a new function and batch a call of it."""
        m = self.module
        entry = m.functions[sig.function]
        what = f"signature '{sig.name}'"
        callers_on_tpu = [c for c in self.cg.callers(entry.name) if c in self.tpu_side]
        if callers_on_tpu:
            raise PassError(f"cannot batch {what}: its function @{entry.name} is called from "
                            f"@{callers_on_tpu[0]}, which runs on the TPU; BatchFunction cannot run on the TPU")
        mask = [self.origins.captured(a) for a in entry.args]
        batched = [i for i, c in enumerate(mask) if not c]
        self._check(entry, "batch", [a.type for a in entry.args], entry, batched, what, True)
        body = entry.clone(m.unique_function_name(entry.name + "_batch_body"), m)
        body.attrs.pop("tf_saved_model.exported", None)
        for a in body.args:
            a.attrs = {k: v for k, v in a.attrs.items() if k != "tf_saved_model.bound_input"}
        m.add_function(body)
        for key in (TPU_ATTR, SELECTED_BY_ATTR):
            entry.attrs.pop(key, None)
        # The entry keeps its name, arguments and results; its body becomes one call.
        names, attrs = list(entry.result_names), [dict(a) for a in entry.result_attrs]
        had_control = bool(entry.control_rets)
        entry.set_returns([])
        entry.set_control_rets([])
        entry.remove_ops(list(entry.ops))
        call = Builder.at_end(entry).create(
            "StatefulPartitionedCall", list(entry.args), [v.type for v in body.returns],
            {"Tin": [a.type.dtype for a in entry.args], "Tout": [v.type.dtype for v in body.returns],
             "f": FuncAttr(body.name)},
            name="batch")
        entry.set_returns(list(call.results), names, attrs)
        if had_control:
            entry.set_control_rets([(call.name, call.control)])
        self.cg = m.call_graph()
        self._wrap_call(entry, call, body, what, signature=True, mask=mask)

    def _captured_mask(self, call, callee):
        """Per operand of `call`: True if it goes into captured_tensors (same for every request)."""
        return [_is_resource(a.type) or self.origins.captured(v) for v, a in zip(call.operands, callee.args)]

    def _check_batched_arg(self, arg, what, signature=False):
        t = arg.type
        if t.dtype is T.variant:
            raise PassError(f"cannot batch {what}: input '{arg.name}' is a variant tensor, which BatchFunction "
                            "cannot concatenate along the batch dimension")
        if t.shape is None:
            return
        if len(t.shape) == 0:
            raise PassError(f"cannot batch {what}: input '{arg.name}' is a scalar. Batching input tensors must "
                            "have at least one dimension; make it a vector whose 0th dimension is the batch")
        if t.shape[0] >= 0:
            need = "-1 in the signature" if signature else "None in the input signature"
            raise PassError(f"cannot batch {what}: input '{arg.name}' has shape {_shape_str(t.shape)}, but its 0th "
                            f"dimension is the batch dimension and must be {need}")

    def _check(self, fn, call_name, operand_types, callee, batched, what, signature):
        """The statically checkable shape requirements of BatchFunction (raises PassError)."""
        for i in batched:
            self._check_batched_arg(callee.args[i], what, signature)
            t = operand_types[i]
            if isinstance(t, T.TensorType) and t.shape == ():
                raise PassError(f"cannot batch {what}: input '{callee.args[i].name}' is a scalar at "
                                f"'{call_name}' in {_fname(fn)}. Batching input tensors must have at least one "
                                "dimension")
        known = [(callee.args[i].name, operand_types[i].shape[0]) for i in batched
                 if isinstance(operand_types[i], T.TensorType) and operand_types[i].shape
                 and operand_types[i].shape[0] >= 0]
        for (a, da), (b, db) in zip(known, known[1:]):
            if da != db:
                raise PassError(f"cannot batch {what} at '{call_name}' in {_fname(fn)}: inputs '{a}' (0th dimension "
                                f"{da}) and '{b}' (0th dimension {db}) differ. Batching input tensors supplied in a "
                                "given op invocation must have equal 0th-dimension size")
        for name, v in zip(callee.result_names, callee.returns):
            shape = v.type.shape if isinstance(v.type, T.TensorType) else None
            if shape is not None and (len(shape) == 0 or shape[0] >= 0):
                raise PassError(f"cannot batch {what}: output '{name}' has shape {_shape_str(shape)}. Batched output "
                                "tensor's 0th dimension does not equal the sum of the 0th dimension sizes of the "
                                "input tensors (every output's 0th dimension must be the batch dimension, None)")
        if not batched:
            raise PassError(f"cannot batch {what}: it has no input to batch along the 0th dimension (all its "
                            "inputs are resources or constants)")

    def _shared_name(self, fn, call, callee):
        closure = [callee.name] + sorted(self.cg.reachable(callee.name))
        h = hashlib.sha1()
        h.update(f"{fn.name}|{call.name}|".encode())
        for name in closure:
            f = self.module.functions.get(name)
            h.update(name.encode())
            if f is not None:
                h.update(";".join(f"{op.type}:{op.name}" for op in f.ops).encode())
        base = f"smopt_batch_{h.hexdigest()[:16]}"
        cand, i = base, 1
        while cand in self.shared_names:
            cand, i = f"{base}_{i}", i + 1
        self.shared_names.add(cand)
        return cand

    def _make_wrapper(self, call, callee, order):
        """A CPU function taking the inputs in `order` and calling `callee` like `call` does
        (shared by the call sites that call `callee` the same way)."""
        m = self.module
        key = (callee.name, tuple(order), call.type, repr(sorted(call.attrs.items())),
               tuple(str(r.type) for r in call.results))
        cached = self.wrappers.get(key)
        if cached is not None:
            return cached
        w = Function(m.unique_function_name(callee.name + "_batch_wrapper"), m)
        args = {}
        for i in order:
            a = callee.args[i]
            args[i] = w.add_argument(a.name, a.type, {k: v for k, v in a.attrs.items()
                                                       if k == "_user_specified_name"})
        inner = Builder.at_end(w).create(call.type, [args[i] for i in range(len(callee.args))],
                                         [r.type for r in call.results], dict(call.attrs), call.name, uniquify=False)
        w.set_returns(list(inner.results), list(callee.result_names))
        if callee.control_rets or call.type == "StatefulPartitionedCall" or call.type in m.functions:
            w.set_control_rets([(call.name.replace("/", "_"), inner.control)])
        m.add_function(w)
        self.wrappers[key] = w
        return w

    def _wrap_call(self, fn, call, callee, what, signature=False, mask=None):
        if len(call.operands) != len(callee.args):
            raise PassError(f"cannot batch {what}: '{call.name}' in {_fname(fn)} passes {len(call.operands)} "
                            f"inputs but the function takes {len(callee.args)}")
        if mask is None:
            mask = self._captured_mask(call, callee)
        batched = [i for i, c in enumerate(mask) if not c]
        captured = [i for i, c in enumerate(mask) if c]
        self._check(fn, call.name, [v.type for v in call.operands], callee, batched, what, signature)
        order = batched + captured
        if is_tpu_function(callee) or order != sorted(order):
            f = self._make_wrapper(call, callee, order)
        else:
            f = callee
        attrs = {"f": FuncAttr(f.name),
                 "Tin": [callee.args[i].type.dtype for i in batched],
                 "Tcaptured": [callee.args[i].type.dtype for i in captured],
                 "Tout": [v.type.dtype for v in callee.returns],
                 "container": "", "shared_name": self._shared_name(fn, call, callee), "batching_queue": ""}
        attrs.update(self._option_attrs())
        bf = Builder.before(call).create("BatchFunction", [call.operands[i] for i in order],
                                         [r.type for r in call.results], attrs, call.name,
                                         control_inputs=list(call.control_inputs), device=call.device)
        for r, nr in zip(call.results, bf.results):
            r.replace_all_uses_with(nr)
        call.control.replace_all_uses_with(bf.control)
        name = call.name
        call.erase()
        fn.rename_op(bf, name)
        self.bump("num-batched")
        return bf


__all__ = ["TpuBatchFunction", "TPU_ATTR", "is_tpu_function", "tpu_side_functions", "call_target"]
