"""Data for bf16-convert: the precision policy, and which ops TensorFlow can run in bfloat16.

- The policy: passes/data/bf16_policy.json, documented there and in the pass docstring.
  Its "tensorflow" section holds the allow/infer/clear/deny lists of TensorFlow's own
  oneDNN bfloat16 auto-mixed-precision rewrite (grappler's auto_mixed_precision_lists.h,
  AutoMixedPrecisionListsMkl) as TensorFlow 2.21 reports them; its "smopt" section what
  smopt does differently. From both:
  - ALLOW_OPS: compute-bound ops that always run in bfloat16 (MatMul, Conv2D, Einsum, ...).
  - KEEP_F32_OPS (deny): ops that stay float32, and keep the infer/clear ops downstream of
    them float32 up to the next allow op: TensorFlow's deny list plus accumulations,
    softmax, normalization statistics, logarithms and roots, FFTs. `keep-f32-ops=...` adds
    entries ("-Name" removes a built-in one, which then follows TensorFlow's own list).
  - KEEP_F32_WHEN: ops kept float32 when an attribute has a value (training-mode batch norm).
  - INFER_OPS: ops that run in bfloat16 when an input is bfloat16 and none comes from a kept op.
  - CLEAR_OPS: ops with no numeric effect (data movement, comparisons, max/min, Relu):
    bfloat16 when an input is, float32 otherwise.
  Ops on no list stay float32 (TensorFlow does not convert them either).
  The "smopt" section also describes two structural rules the pass implements: loop-carried
  state (While bodies) and model outputs (the output projection computes in float32).
- CPU kernels: `passes/data/bf16_cpu_kernels.json` lists, per op, the type
  constraints of TensorFlow's CPU kernels that accept bfloat16 (intersected with the
  OpDef's allowed types). An op is converted only when a kernel there accepts the new
  attribute values, so a converted model still runs on the CPU (`--target cpu`) and every
  type attribute stays within what its OpDef allows. Regenerate the file with
  `python tests/models_bf16.py --write-kernel-table` (needs TensorFlow; tests/test_bf16.py
  checks that it matches the installed TensorFlow, and that the policy's TensorFlow lists do).
"""
from __future__ import annotations

import functools
import json
import os

_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
_KERNELS_PATH = os.path.join(_DATA, "bf16_cpu_kernels.json")
POLICY_PATH = os.path.join(_DATA, "bf16_policy.json")


def _load_policy():
    with open(POLICY_PATH) as f:
        policy = json.load(f)
    tf_, ours = policy["tensorflow"], policy["smopt"]
    keep = frozenset(tf_["deny"]).union(*ours["keep_f32"].values())
    allow = frozenset(tf_["allow"]) | frozenset(ours["allow_add"])
    clear = frozenset(tf_["clear"]) - keep - allow
    # Kept ops stay on the infer list: removing one from the kept set ("-Name") makes it infer.
    infer = (frozenset(tf_["infer"]) | frozenset(ours["infer_add"])) - allow - clear
    when = {op: cond for op, cond in ours["keep_f32_when"].items() if not op.startswith("_")}
    return policy, allow, infer, clear, keep, when


POLICY, ALLOW_OPS, INFER_OPS, CLEAR_OPS, KEEP_F32_OPS, KEEP_F32_WHEN = _load_policy()

# Ops whose float type describes bytes, text or an interface rather than arithmetic: they
# keep their types even in scope (a bfloat16 Bitcast or DecodeRaw reinterprets different
# bytes, a bfloat16 SerializeTensor/AsString writes different data, host transfers and
# checkpoint ops must match their peer).
NEVER_CONVERT_OPS = frozenset({
    "Bitcast", "DecodeRaw", "DecodePaddedRaw", "ParseTensor", "SerializeTensor",
    "SerializeManySparse", "SerializeSparse", "AsString", "StringFormat", "PrintV2",
    "StringToNumber", "DecodeCSV", "ParseExample", "ParseExampleV2", "ParseSingleExample",
    "ParseSequenceExample", "ParseSequenceExampleV2", "ParseSingleSequenceExample",
    "Save", "SaveV2", "SaveSlices", "Restore", "RestoreV2", "RestoreSlice",
    "InfeedEnqueue", "InfeedEnqueueTuple", "InfeedDequeue", "InfeedDequeueTuple",
    "OutfeedEnqueue", "OutfeedEnqueueTuple", "OutfeedDequeue", "OutfeedDequeueTuple",
    "OutfeedDequeueV2", "OutfeedDequeueTupleV2", "_Send", "_Recv", "_HostSend", "_HostRecv",
    "Send", "Recv", "XlaSend", "XlaRecv", "XlaSendToHost", "XlaRecvFromHost",
    "TPUReplicatedInput", "TPUReplicatedOutput", "Batch", "Unbatch", "UnbatchGrad",
    "CollectiveReduce", "CollectiveReduceV2", "CollectiveGather", "CollectiveGatherV2",
    "CollectiveBcastSend", "CollectiveBcastRecv", "CollectiveBcastSendV2", "CollectiveBcastRecvV2",
    "CollectiveAllToAllV2", "CollectiveReduceScatterV2", "AllToAll", "CrossReplicaSum",
    "Placeholder", "PlaceholderWithDefault", "ImmutableConst", "HostConst",
})

# Which resource ops read, write or only hold a variable: passes/analysis/traits.py
# (VARIABLE_READS, VARIABLE_WRITES, VARIABLE_METADATA). Anything else that takes a variable's
# handle, other than calls, control flow and IdentityN, keeps the variable float32.


@functools.lru_cache(maxsize=None)
def cpu_kernels():
    with open(_KERNELS_PATH) as f:
        table = json.load(f)
    table.pop("_comment", None)
    return {op: [{a: frozenset(v) for a, v in k.items()} for k in ks] for op, ks in table.items()}


def cpu_kernel_accepts(op_type, attr_types):
    """True if a CPU kernel of `op_type` accepts these type attrs ({name: dtype name or list
    of names}). False for ops with no bfloat16-capable CPU kernel at all."""
    for kernel in cpu_kernels().get(op_type, ()):
        ok = True
        for attr, allowed in kernel.items():
            value = attr_types.get(attr)
            if value is None:
                continue
            values = value if isinstance(value, (list, tuple)) else (value,)
            if any(v not in allowed for v in values):
                ok = False
                break
        if ok:
            return True
    return False


def category(op_type, keep):
    """'allow', 'infer', 'clear', 'keep' (deny) or None (on no list: stays float32) for an op
    type, given the kept set of this run (keep_f32_ops)."""
    if op_type in keep:
        return "keep"
    if op_type in ALLOW_OPS:
        return "allow"
    if op_type in CLEAR_OPS:
        return "clear"
    if op_type in INFER_OPS:
        return "infer"
    return None


def kept_by_attrs(op_type, attrs):
    """True when KEEP_F32_WHEN keeps this op float32 for these attribute values."""
    cond = KEEP_F32_WHEN.get(op_type)
    return bool(cond) and all(attrs.get(k) == v for k, v in cond.items())


def keep_f32_ops(extra=(), filterlist=()):
    """The op types that stay float32: the built-in list, plus `extra` (minus "-Name"
    entries) plus the converter's filterlist."""
    keep = set(KEEP_F32_OPS)
    for name in extra:
        if name.startswith("-"):
            keep.discard(name[1:])
        else:
            keep.add(name)
    keep |= set(filterlist)
    return keep
