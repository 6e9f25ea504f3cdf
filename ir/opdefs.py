"""Op definitions: argument structure and statefulness flags of TF ops, without TensorFlow.

Which ops have side effects (calls included) is decided in passes/analysis/traits.py.

The table `op_defs.tsv.gz` is a snapshot of TF's registry (regenerate it with
`tools/regen_tf_data.py`): one line per op, `name<TAB>op def as JSON`, decoded on first
lookup of that op (decoding all ~1500 definitions up front cost 0.14 s per process). A module may add definitions of its own (a SavedModel's
`stripped_op_list`, which is how custom ops reach us); those take precedence.
"""
from __future__ import annotations

import functools
import gzip
import json
import os
from collections.abc import Mapping

from smopt.ir import types as T

_PATH = os.path.join(os.path.dirname(__file__), "op_defs.tsv.gz")

class _LazyTable(Mapping):
    """op name -> op def dict; each JSON entry is parsed when first asked for."""

    def __init__(self, raw):
        self._raw = raw
        self._done = {}

    def __getitem__(self, name):
        got = self._done.get(name)
        if got is None:
            got = self._done[name] = json.loads(self._raw[name])
        return got

    def __iter__(self):
        return iter(self._raw)

    def __len__(self):
        return len(self._raw)


@functools.lru_cache(maxsize=None)
def _table():
    with gzip.open(_PATH, "rt", encoding="utf-8") as f:
        raw = dict(line.rstrip("\n").split("\t", 1) for line in f if line.strip())
    return _LazyTable(raw)


def write_table(table, path=_PATH):
    """Write {op name: op def dict} in the format `_table` reads (used by tools/regen_tf_data.py)."""
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        for name in sorted(table):
            f.write(f"{name}\t{json.dumps(table[name], sort_keys=True, separators=(',', ':'))}\n".encode())


# A function decoding op defs from a module's serialized MetaGraphDef remainder (its
# stripped_op_list): set by compiler/, which owns the protos, so that IR text printed from a
# SavedModel with custom ops still knows them after parsing.
_meta_graph_decoder = None
USER_OP_DEFS_ENV = "SMOPT_OP_DEFS_FILE"


def set_meta_graph_decoder(decoder):
    global _meta_graph_decoder
    _meta_graph_decoder = decoder


@functools.lru_cache(maxsize=8)
def _user_op_defs(path):
    """Op defs a user declares for custom ops: a JSON object {op name: op def}, in this
    table's format ({"inputs": [...], "outputs": [...], "attrs": {...}})."""
    with open(path, encoding="utf-8") as f:
        defs = json.load(f)
    if not isinstance(defs, dict) or not all(isinstance(v, dict) and "inputs" in v and "outputs" in v
                                             for v in defs.values()):
        raise ValueError(f"{USER_OP_DEFS_ENV} file '{path}' must be a JSON object of op definitions "
                         "with 'inputs' and 'outputs'")
    return defs


def _module_op_defs(module):
    if module.meta_graph is not None and not getattr(module, "_meta_op_defs_read", False) \
            and _meta_graph_decoder is not None:
        module._meta_op_defs_read = True
        for name, d in _meta_graph_decoder(module.meta_graph).items():
            module.op_defs.setdefault(name, d)
    return module.op_defs


def lookup(op_type, module=None):
    """The op def dict for `op_type` ({'inputs','outputs','attrs','stateful'}), or None.

    Order: the module's own op defs (its SavedModel's stripped_op_list), smopt's table of
    TensorFlow's ops, then the file named by SMOPT_OP_DEFS_FILE."""
    if module is not None and op_type in module.op_defs:
        return module.op_defs[op_type]
    got = _table().get(op_type)
    if got is not None:
        return got
    if module is not None and op_type in _module_op_defs(module):
        return module.op_defs[op_type]
    path = os.environ.get(USER_OP_DEFS_ENV)
    return _user_op_defs(path).get(op_type) if path else None


def known_ops():
    return _table().keys()


def _default_value(v):
    if isinstance(v, dict):
        if "dtype" in v:
            return T.dtype_from_enum(v["dtype"])
        if "dtypes" in v:
            return [T.dtype_from_enum(e) for e in v["dtypes"]]
        if "ints" in v:
            return list(v["ints"])
        if "s" in v:
            return v["s"]
    return v


def with_defaults(op_def, attrs):
    """`attrs` plus the op def's defaults for attrs the node omits (SavedModels strip them)."""
    defaults = op_def.get("defaults") if op_def else None
    if not defaults:
        return attrs
    out = dict(attrs)
    for k, v in defaults.items():
        if k not in out:
            out[k] = _default_value(v)
    return out


def get_attr(op, name, default=None, module=None):
    """An op's attr, falling back to its op def's default value."""
    if name in op.attrs:
        return op.attrs[name]
    d = lookup(op.type, module)
    if d and name in d.get("defaults", {}):
        return _default_value(d["defaults"][name])
    return default


def _arg_len(arg, attrs):
    if "number_attr" in arg:
        n = attrs.get(arg["number_attr"])
        return int(n) if isinstance(n, int) else None
    if "type_list_attr" in arg:
        lst = attrs.get(arg["type_list_attr"])
        return len(lst) if isinstance(lst, list) else None
    return 1


def _arg_types(arg, attrs):
    """DTypes of the tensors one output arg produces (None where attrs don't say)."""
    n = _arg_len(arg, attrs)
    if "type_list_attr" in arg:
        lst = attrs.get(arg["type_list_attr"])
        return [t if isinstance(t, T.DType) else None for t in (lst or [])]
    if "type" in arg:
        dt = T.dtype_from_enum(arg["type"])
    else:
        dt = attrs.get(arg.get("type_attr"))
        dt = dt if isinstance(dt, T.DType) else None
    return [dt] * (n or 0)


def output_layout(op_def, attrs):
    """[(output arg name, [dtype, ...])] for a node of this op with these attrs."""
    attrs = with_defaults(op_def, attrs)
    return [(a["name"], _arg_types(a, attrs)) for a in op_def["outputs"]]


def input_layout(op_def, attrs):
    """[(input arg name, count)] for a node of this op with these attrs (count None if unknown)."""
    attrs = with_defaults(op_def, attrs)
    return [(a["name"], _arg_len(a, attrs)) for a in op_def["inputs"]]
