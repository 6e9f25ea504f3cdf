"""tpu-insert-call-stubs: call TPU functions through TPU call stubs; make their bodies TPU programs.

Seed 004: "der Converter [ändert] den direkten Aufrufer einer TPU-Funktion so, dass nicht mehr
die TPU-Funktion selbst, sondern ein TPU-Aufruf-Stub aufgerufen wird. Der Aufruf-Stub enthält
Vorgänge, die nur auf der CPU ausgeführt werden können." With `target=tpu` (default):

Call sites. Every reference to a TPU function (`smopt.tpu_function`) from CPU code (a function
that is not a TPU function and not reached from one, or the main graph) is rewritten:
- a PartitionedCall / StatefulPartitionedCall / direct call becomes
      %ord = "tf.TPUOrdinalSelector"()                       (int32 vector; picks the core)
      %r   = "tf.TPUPartitionedCall"(args..., %ord) {f = @tpu, Tin, Tout, autotuner_thresh = 0}
  as TensorFlow defines both ops (TPUOrdinalSelector is stateful and feeds the last input,
  `device_ordinal`). The new call keeps the old node name (so graph tensor names such as a
  signature's `StatefulPartitionedCall:0` stay valid), its control inputs and users, and the
  old call's `_`-attributes except `_XlaMustCompile`; attrs TPUPartitionedCall does not define
  (config_proto, ...) are dropped.
- any other reference (BatchFunction `f`, If/While branches) and a signature whose entry
  function is a TPU function get a stub function `<tpu>_tpu_stub` (same arguments and
  results) whose body is that pair; the reference / the signature then names the stub.
A TPU function referenced by another TPU function (or by code such a function reaches) is not
stubbed at that site: it is compiled into the caller's TPU program. (A TPU function reached
from another one through CPU code is refused, as by tpu-check-indirect-calls.)

TPU bodies. Each TPU function called through a stub gets what tpu.replicate() puts into a TPU
computation (cluster name `cluster_<function>`), as in TensorFlow's own TPU graphs:
- `TPUReplicateMetadata` {_tpu_replicate, num_replicas = 1, num_cores_per_replica, topology,
  device_assignment, use_spmd_for_xla_partitioning, ...}; values recorded by xla-spmd-shard
  (function attrs `smopt.sharding.<attr>`) take precedence over `num-cores-per-replica`;
- every original op gets `_tpu_replicate = "cluster_<function>"`;
- each non-resource argument enters through `TPUReplicatedInput` (N = 1, node `input<i>`) and
  an Identity `replicated_input_<i>` {_tpu_input_identity = true, _tpu_replicate};
- each non-resource result leaves through an Identity {_tpu_output_identity = true,
  _tpu_replicate, device = "/device:TPU_REPLICATED_CORE:0"}, `TPUReplicatedOutput`
  (num_replicas = 1, node `output<j>`) and an Identity `output_<j>_shard_0`;
- `TPUCompilationResult` {_tpu_compilation_status = cluster}.
If such a function is also called from inside another TPU program, those sites call a plain
copy `<tpu>_tpu_inner` instead (a TPU program cannot contain a second cluster).

`target=cpu`: the same sites become StatefulPartitionedCall (stub functions likewise) and no
TPU-only op or attribute is added, so the converted model runs on a CPU with the same results.

Rewritten calls carry the IR-only attr `smopt.tpu_call_stub = true`; stub functions
`smopt.tpu_stub_for = "<tpu function>"`; TPU bodies `smopt.tpu_cluster = "<cluster>"`. The
pass is idempotent (stubbed sites and clustered bodies are recognised and left alone).
"""
from __future__ import annotations

from smopt.ir import types as T
from smopt.ir.attributes import FuncAttr, rename_function_refs
from smopt.ir.builder import Builder
from smopt.ir.core import Function

from smopt.passes.analysis.traits import PLAIN_CALLS
from smopt.passes.framework.registry import Pass, PassError, option, register
from smopt.passes.tpu_check_indirect_calls import format_indirect, indirect_tpu_calls
from smopt.passes.tpu_select_functions import is_tpu_function

STUB_ATTR = "smopt.tpu_call_stub"
STUB_FOR_ATTR = "smopt.tpu_stub_for"
CLUSTER_ATTR = "smopt.tpu_cluster"
INNER_ATTR = "smopt.tpu_inner_copy_of"
SHARDING_PREFIX = "smopt.sharding."
REPLICATE = "_tpu_replicate"
ORDINALS = T.TensorType(T.int32, (-1,))
_DROP_ON_TPU_CALL = ("_XlaMustCompile",)


def _is_handle(t):
    return isinstance(t, T.TensorType) and t.dtype in (T.resource, T.variant)


def _dtype(t):
    return t.dtype if isinstance(t, T.TensorType) else T.float32


@register
class TpuInsertCallStubs(Pass):
    name = "tpu-insert-call-stubs"
    title = "TpuInsertCallStubs"
    summary = "Call TPU functions through TPUPartitionedCall stubs and make their bodies TPU programs"
    target: str = option(
        "tpu", "tpu: TPU stubs and TPU programs; cpu: plain calls, runs on CPU", choices=("tpu", "cpu"))
    num_cores_per_replica: int = option(1, "TPUReplicateMetadata num_cores_per_replica")
    statistics = {
        "num-stubbed-calls": "Call sites rewritten to call stubs",
        "num-stub-functions": "Stub functions created (signatures, attr references)",
        "num-tpu-programs": "TPU function bodies given TPU replication metadata",
        "num-inner-copies": "Plain copies made for calls from inside TPU programs",
    }

    def run(self, module):
        if self.num_cores_per_replica < 1:
            raise PassError(f"num-cores-per-replica must be at least 1, got {self.num_cores_per_replica}")
        tpu = {n for n, f in module.functions.items() if is_tpu_function(f)}
        if not tpu:
            return
        cg = module.call_graph()
        bad = indirect_tpu_calls(module, cg)
        if bad:
            raise PassError("; ".join(format_indirect(*t) for t in bad))
        device = set(tpu)
        for t in tpu:
            device |= {n for n in cg.reachable(t) if n in module.functions}

        host_sites, inner_sites = [], []
        for fn in module.all_functions():
            on_device = not fn.is_graph and fn.name in device
            for op, callee, how in list(fn.walk_function_refs()):
                if callee in tpu:
                    (inner_sites if on_device else host_sites).append((fn, op, callee, how))
        roots = [s for s in module.signatures.values() if s.function in tpu]
        targets = {c for _, _, c, _ in host_sites} | {s.function for s in roots}

        if self.target == "tpu":
            self._split_inner_callers(module, targets, inner_sites)
        stubs = {}
        for fn, op, callee, how in host_sites:
            if op.parent is None:
                continue  # already replaced (an op naming the callee in two attrs)
            if how == "call" or (how == "f" and op.type in PLAIN_CALLS):
                if op.attrs.get(STUB_ATTR) is True:
                    continue
                self._stub_call(fn, op, callee)
            elif op.type == "TPUPartitionedCall" and how == "f":
                continue  # already a stub
            else:
                stub = self._stub_function(module, callee, stubs)
                op.attrs = {k: rename_function_refs(v, {callee: stub}) if not k.startswith("smopt.") else v
                            for k, v in op.attrs.items()}
        for s in roots:
            s.function = self._stub_function(module, s.function, stubs)
        if self.target == "tpu":
            for name in sorted(targets):
                fn = module.functions[name]
                if CLUSTER_ATTR not in fn.attrs and not any(op.type == "TPUReplicateMetadata" for op in fn.ops):
                    self._make_tpu_program(fn)

    # ---- call sites ----------------------------------------------------------------------
    def _new_call(self, b, operands, result_types, callee, name, uniquify_call=True):
        """The stub's call op(s), made at builder `b`: [(op)...], the call op last."""
        tin = [_dtype(v.type) for v in operands]
        tout = [_dtype(t) for t in result_types]
        if self.target == "cpu":
            call = b.create("StatefulPartitionedCall", list(operands), result_types,
                            {"Tin": tin, "Tout": tout, "f": FuncAttr(callee), STUB_ATTR: True}, name,
                            uniquify=uniquify_call)
            return [call]
        sel = b.create("TPUOrdinalSelector", [], [ORDINALS], {}, name + "/TPUOrdinalSelector")
        call = b.create("TPUPartitionedCall", list(operands) + [sel.result], result_types,
                        {"Tin": tin, "Tout": tout, "f": FuncAttr(callee), "autotuner_thresh": 0, STUB_ATTR: True},
                        name, uniquify=uniquify_call)
        return [sel, call]

    def _stub_call(self, fn, op, callee):
        self.bump("num-stubbed-calls")
        if self.target == "cpu" and op.type in PLAIN_CALLS:
            op.type = "StatefulPartitionedCall"
            op.attrs[STUB_ATTR] = True
            return
        # The call takes the old op's name once that is erased.
        new_ops = self._new_call(Builder.before(op), op.operands, [r.type for r in op.results], callee, op.name,
                                 uniquify_call=False)
        call = new_ops[-1]
        for k, v in op.attrs.items():
            if k.startswith("_") and (self.target == "cpu" or k not in _DROP_ON_TPU_CALL):
                call.attrs.setdefault(k, v)
            elif "." in k:
                call.attrs.setdefault(k, v)
        call.device = op.device
        for c in op.control_inputs:
            call.add_control_input(c)
        for old, new in zip(op.results, call.results):
            old.replace_all_uses_with(new)
        op.control.replace_all_uses_with(call.control)
        name = op.name
        op.erase()
        fn.rename_op(call, name)

    def _stub_function(self, module, callee, cache):
        if callee in cache:
            return cache[callee]
        target = module.functions[callee]
        stub = Function(module.unique_function_name(callee + "_tpu_stub"), module)
        vmap = [stub.add_argument(a.name, a.type, a.attrs) for a in target.args]
        ops = self._new_call(Builder.at_end(stub), vmap, [v.type for v in target.returns], callee, "tpu_call")
        call = ops[-1]
        stub.set_returns(list(call.results), list(target.result_names),
                         [dict(a) for a in target.result_attrs])
        stub.add_control_ret("tpu_call", call.control)  # the call runs even if no result is used
        stub.attrs = {k: v for k, v in target.attrs.items()
                      if k in ("_input_shapes", "_construction_context") or k.startswith("tf_saved_model.")}
        stub.attrs[STUB_FOR_ATTR] = callee
        module.add_function(stub)
        cache[callee] = stub.name
        self.bump("num-stub-functions")
        return stub.name

    # ---- TPU programs --------------------------------------------------------------------
    def _split_inner_callers(self, module, targets, inner_sites):
        """Sites inside TPU programs that call a function that is about to get its own
        replication metadata call a plain copy of it instead (copies' own calls likewise)."""
        copies = {}
        work = list(inner_sites)
        while work:
            fn, op, callee, how = work.pop(0)
            if callee not in targets or op.parent is None:
                continue
            if callee not in copies:
                orig = module.functions[callee]
                copy = orig.clone(module.unique_function_name(callee + "_tpu_inner"), module)
                copy.attrs = {k: v for k, v in orig.attrs.items()
                              if not k.startswith(("smopt.", "tf_saved_model."))}
                copy.attrs[INNER_ATTR] = callee
                module.add_function(copy)
                copies[callee] = copy.name
                self.bump("num-inner-copies")
                work += [(copy, o, c, h) for o, c, h in copy.walk_function_refs() if c in targets]
            new = copies[callee]
            if how == "call":
                op.type = new
            op.attrs = {k: rename_function_refs(v, {callee: new}) for k, v in op.attrs.items()}

    def _metadata_attrs(self, fn, cluster):
        attrs = {REPLICATE: cluster, "num_replicas": 1, "num_cores_per_replica": self.num_cores_per_replica,
                 "topology": "", "use_tpu": True, "device_assignment": [], "computation_shape": [],
                 "host_compute_core": [], "padding_map": [], "step_marker_location": "STEP_MARK_AT_ENTRY",
                 "allow_soft_placement": False, "use_spmd_for_xla_partitioning": False}
        for key in ("num_cores_per_replica", "topology", "device_assignment", "use_spmd_for_xla_partitioning"):
            if SHARDING_PREFIX + key in fn.attrs:
                attrs[key] = fn.attrs[SHARDING_PREFIX + key]
        return attrs

    def _make_tpu_program(self, fn):
        cluster = f"cluster_{fn.name}"
        for op in fn.ops:
            op.attrs[REPLICATE] = cluster
        start = Builder.at_start(fn)   # metadata, then each input's pair, then the body
        meta = start.create("TPUReplicateMetadata", [], [], self._metadata_attrs(fn, cluster), "TPUReplicateMetadata")
        for i, arg in enumerate(fn.args):
            if _is_handle(arg.type) or not isinstance(arg.type, T.TensorType):
                continue
            uses = list(arg.uses)
            dt = arg.type.dtype
            rep = start.create("TPUReplicatedInput", [arg], [arg.type], {"N": 1, "T": dt, "index": i}, f"input{i}")
            ident = start.create("Identity", [rep.result], [arg.type],
                                 {"T": dt, "_tpu_input_identity": True, REPLICATE: cluster}, f"replicated_input_{i}",
                                 control_inputs=[meta.control])
            for user, idx in uses:
                if isinstance(user, Function):
                    continue  # returned as is: handled with the outputs below
                if idx < 0:
                    continue
                user.set_operand(idx, ident.result)
            # a returned argument goes out through the cluster too
            fn.set_returns([ident.result if v is arg else v for v in fn.returns])
        outs = []
        end = Builder.at_end(fn)
        for j, v in enumerate(fn.returns):
            if _is_handle(v.type) or not isinstance(v.type, T.TensorType):
                outs.append(v)
                continue
            dt = v.type.dtype
            o1 = end.create("Identity", [v], [v.type],
                            {"T": dt, "_tpu_output_identity": True, REPLICATE: cluster},
                            "tpu_output_identity", device="/device:TPU_REPLICATED_CORE:0")
            o2 = end.create("TPUReplicatedOutput", [o1.result], [v.type], {"T": dt, "num_replicas": 1},
                            f"output{j}")
            o3 = end.create("Identity", [o2.result], [v.type], {"T": dt}, f"output_{j}_shard_0")
            outs.append(o3.result)
        fn.set_returns(outs)
        end.create("TPUCompilationResult", [], [T.TensorType(T.string, ())],
                   {"_tpu_compilation_status": cluster}, "TPUCompilationResult", control_inputs=[meta.control])
        fn.attrs[CLUSTER_ATTR] = cluster
        self.bump("num-tpu-programs")
