"""Graphviz DOT for smopt's graphs, with the marks passes leave on the IR.

`call_graph_dot(module)`: functions and their call edges (call-graph{format=dot}). Marked:
signature entries (double border), function aliases (blue border, `alias:` line), TPU
functions (`smopt.tpu_function`, orange), TPU call stubs (`smopt.tpu_stub_for`, yellow,
dashed), XLA clusters (`_XlaMustCompile`, green); TPU calls (TPUPartitionedCall or a stub
call) and calls into XLA clusters are coloured edges.

`dataflow_dot(module, function)`: one function's ops, data edges (solid) and control edges
(dashed), its arguments and its return (dataflow-graph{format=dot}). Coloured groups
(DOT `subgraph cluster_*`): device placement (the `device` attribute, one group per
device), XLA clusters (calls of `_XlaMustCompile` functions, ops marked `_XlaCluster`),
TPU functions (TPUPartitionedCall, calls of TPU functions, ops of a TPU program marked
`_tpu_replicate`) and TPU call stubs. With `expand` a group of a call shows the callee's
ops, wired to the caller's values. Names, types and devices are in tooltips (SVG hover).
"""
from __future__ import annotations

import re

from smopt.ir.callgraph import GRAPH
from smopt.ir.core import Argument, OpResult

TPU_ATTR = "smopt.tpu_function"
STUB_FOR_ATTR = "smopt.tpu_stub_for"
STUB_CALL_ATTR = "smopt.tpu_call_stub"
XLA_CLUSTER_ATTR = "smopt.xla_cluster"

# fill / border colours per group kind (ColorBrewer pastel and dark tones)
FILL = {"tpu": "#fdd0a2", "stub": "#fff7bc", "xla": "#c7e9c0", "call": "#f0f0f0"}
BORDER = {"tpu": "#d94801", "stub": "#cc9a06", "xla": "#238b45", "call": "#737373"}
TITLE = {"tpu": "TPU function", "stub": "TPU call stub", "xla": "XLA cluster", "call": "call"}
DEVICE_FILL = {"CPU": "#eff3ff", "GPU": "#edf8e9", "TPU": "#feedde"}
DEVICE_BORDER = {"CPU": "#3182bd", "GPU": "#31a354", "TPU": "#e6550d"}
ALIAS_COLOR = "#2171b5"


def quote(s):
    """A DOT string literal."""
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(**kw):
    items = [f"{k}={quote(v)}" for k, v in kw.items() if v is not None]
    return " [" + ", ".join(items) + "]" if items else ""


def device_kind(device):
    m = re.search(r"(?:device:)?([A-Za-z_]+):(?:\d+|\*)\s*$", device or "") or \
        re.search(r"device:([A-Za-z_]+)", device or "")
    kind = m.group(1).upper() if m else ""
    return "TPU" if kind.startswith("TPU") else kind


# ---- what a function is ----------------------------------------------------------------
def function_kind(fn):
    """'tpu', 'stub', 'xla' or None for a library function (None for a missing one)."""
    if fn is None:
        return None
    if isinstance(fn.attrs.get(STUB_FOR_ATTR), str):
        return "stub"
    if fn.attrs.get(TPU_ATTR) is True:
        return "tpu"
    if fn.attrs.get("_XlaMustCompile") is True or fn.attrs.get(XLA_CLUSTER_ATTR) is True:
        return "xla"
    return None


def function_marks(fn):
    """What passes marked `fn` as, in words (for the text call graph)."""
    kind = function_kind(fn)
    if kind == "stub":
        return [f"TPU call stub for @{fn.attrs[STUB_FOR_ATTR]}"]
    if kind == "tpu":
        return ["TPU function"]
    if kind == "xla":
        return ["XLA cluster" if fn.attrs.get(XLA_CLUSTER_ATTR) else "XLA (_XlaMustCompile)"]
    return []


def call_kind(op, module):
    """The kind of group a call op stands for ('tpu', 'stub', 'xla'), else None."""
    callee = op.callee
    fn = module.functions.get(callee) if callee else None
    kind = function_kind(fn)
    if op.type == "TPUPartitionedCall" or op.attrs.get(STUB_CALL_ATTR) is True:
        return "stub" if kind == "stub" else "tpu"
    if kind is None and op.attrs.get("_XlaMustCompile") is True and callee:
        return "xla"
    return kind


# ---- the call graph ----------------------------------------------------------------------
def call_graph_dot(module):
    cg = module.call_graph()
    g = cg.g
    sig_of = {}
    for s in module.signatures.values():
        sig_of.setdefault(s.function, []).append(s.name)
    lines = ["digraph callgraph {", '  graph [fontname="Helvetica"];',
             '  node [shape=box, style=filled, fillcolor=white, fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=9];']
    for n in g.nodes:
        fn = module.functions.get(n)
        label = [n]
        kw = {}
        if n == GRAPH:
            kw["shape"] = "ellipse"
        elif fn is None:
            label.append("(unresolved)")
            kw["style"] = "dashed"
        if n in sig_of:
            label.append("signature: " + ", ".join(sorted(sig_of[n])))
            kw["peripheries"] = 2
        aliases = module.function_aliases_of(n)
        if aliases:
            label.append("alias: " + ", ".join(aliases))
            kw.update(color=ALIAS_COLOR, penwidth=2)
        kind = function_kind(fn)
        label += function_marks(fn)
        if kind is not None:
            kw["fillcolor"] = FILL[kind]
        if kind == "stub":
            kw["style"] = "filled,dashed"
        lines.append(f"  {quote(n)}" + _attrs(label="\n".join(label), **kw) + ";")
    for a, b, data in g.edges(data=True):
        hows = sorted({how for _, how in data["sites"]})
        kw = {"label": ",".join(hows)}
        ops = [op for op, _ in data["sites"]]
        callee_kind = function_kind(module.functions.get(b))
        if any(op.type == "TPUPartitionedCall" or op.attrs.get(STUB_CALL_ATTR) is True for op in ops) \
                or callee_kind == "stub":
            kw.update(color=BORDER["tpu"], penwidth=2, label=kw["label"] + " (TPU call)")
        elif callee_kind == "xla":
            kw.update(color=BORDER["xla"], penwidth=2)
        lines.append(f"  {quote(a)} -> {quote(b)}" + _attrs(**kw) + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---- one function's dataflow -------------------------------------------------------------
class _Scope:
    """The ops of one function drawn under a node-id prefix; `args[i]` is the source of
    argument i (an argument node, or the caller's operand when the function is expanded)."""

    def __init__(self, fn, prefix, args):
        self.fn = fn
        self.prefix = prefix
        self.args = args
        self.ids = {id(op): f"{prefix}{i}" for i, op in enumerate(fn.ops)}


class _Group:
    def __init__(self, key, kind, label, device=None):
        self.key, self.kind, self.label, self.device = key, kind, label, device
        self.nodes = []      # node ids, in order


def dataflow_dot(module, fn, expand=True):
    """DOT text of `fn`'s dataflow (see the module docstring)."""
    return DataflowGraph(module, fn, expand).render()


class DataflowGraph:
    """One function's dataflow picture: `render()` gives the DOT text; after it, `nodes`,
    `edges` and `groups` hold what was drawn (the dataflow-graph pass counts them)."""

    def __init__(self, module, fn, expand=True):
        self.module, self.fn, self.expand = module, fn, expand
        self.nodes = {}        # id -> attrs dict (label, tooltip, ...)
        self.node_order = []
        self.node_device = {}  # id -> device string ('' none)
        self.node_group = {}   # id -> group key
        self.groups = {}       # key -> _Group
        self.edges = []        # (src, dst, attrs)
        self.expanded = {}     # id(call op) -> _Scope of its callee
        self.group_of_call = {}

    # ---- nodes --------------------------------------------------------------------------
    def add_node(self, nid, device="", group=None, **attrs):
        self.nodes[nid] = attrs
        self.node_order.append(nid)
        self.node_device[nid] = device or ""
        if group is not None:
            self.node_group[nid] = group
            self.groups[group].nodes.append(nid)

    def group(self, key, kind, label):
        if key not in self.groups:
            self.groups[key] = _Group(key, kind, label)
        return key

    def op_label(self, op):
        kind = op.type
        callee = op.callee
        if callee and callee != op.type:
            kind += f" @{callee}"
        elif callee:
            kind = f"call @{callee}"
        return f"{op.name}\n{kind}"

    def op_tooltip(self, op):
        outs = ", ".join(str(r.type) for r in op.results) or "no results"
        tip = f"{op.name}: tf.{op.type} -> {outs}"
        if op.device:
            tip += f"\ndevice: {op.device}"
        return tip

    # ---- building -----------------------------------------------------------------------
    def build(self):
        fn = self.fn
        top = _Scope(fn, "op", [f"arg{i}" for i in range(len(fn.args))])
        for i, a in enumerate(fn.args):
            self.add_node(f"arg{i}", label=f"%{a.name}\n{a.type}", shape="ellipse",
                          fillcolor="#f7f7f7", tooltip=f"argument {i}: {a.type}")
        for op in fn.ops:
            kind = call_kind(op, self.module) if op.callee else None
            group = None
            if kind is not None:
                group = self.group(f"{kind}:call:{op.name}", kind,
                                   f"{TITLE[kind]} @{op.callee}" + self._stub_target(op))
                self.group_of_call[id(op)] = group
            else:
                mark = op.attrs.get("_XlaCluster")
                if isinstance(mark, str) and mark:
                    group = self.group(f"xla:{mark}", "xla", f"XLA cluster {mark}")
                mark = op.attrs.get("_tpu_replicate")
                if isinstance(mark, str) and mark:
                    group = self.group(f"tpu:{mark}", "tpu", f"TPU program {mark}")
            callee = self.module.functions.get(op.callee) if op.callee else None
            if kind is not None and self.expand and callee is not None and callee is not fn \
                    and callee.ops:
                scope = _Scope(callee, f"{top.ids[id(op)]}_", [None] * len(callee.args))
                self.expanded[id(op)] = (scope, top)
                for inner in callee.ops:
                    self.add_node(scope.ids[id(inner)], device=op.device, group=group,
                                  label=self.op_label(inner), tooltip=self.op_tooltip(inner))
            else:
                self.add_node(top.ids[id(op)], device=op.device, group=group, label=self.op_label(op),
                              tooltip=self.op_tooltip(op))
        if fn.returns or fn.control_rets or not fn.is_graph:
            names = [f"{n}: {v.type}" for n, v in zip(fn.result_names, fn.returns)]
            names += [f"^{n}" for n, _ in fn.control_rets]
            self.add_node("return", label="return", shape="ellipse", fillcolor="#f7f7f7",
                          tooltip="\n".join(names) or "no results")
        # edges
        for op in fn.ops:
            if id(op) in self.expanded:
                scope, _ = self.expanded[id(op)]
                for inner in scope.fn.ops:
                    self.op_edges(inner, scope, top, op)
                first = scope.ids[id(scope.fn.ops[0])]
                for v in op.operands[len(scope.fn.args):]:   # e.g. TPUPartitionedCall's ordinal
                    src, tip = self.source(v, top)
                    if src is not None:
                        self.edges.append((src, first, {"tooltip": tip, "lhead": _cluster_id(
                            self.group_of_call[id(op)], self.cluster_ids)}))
            else:
                self.op_edges(op, top, top, None)
        for i, v in enumerate(fn.returns):
            src, tip = self.source(v, top)
            if src is not None:
                self.edges.append((src, "return", {"tooltip": tip, "headlabel": fn.result_names[i]}))
        for name, tok in fn.control_rets:
            src, ltail = self.control_source(tok, top)
            self.edges.append((src, "return", {"style": "dashed", "color": "#969696", "ltail": ltail,
                                               "tooltip": f"control output {name}"}))

    def _stub_target(self, op):
        callee = self.module.functions.get(op.callee)
        if callee is not None and isinstance(callee.attrs.get(STUB_FOR_ATTR), str):
            return f" -> @{callee.attrs[STUB_FOR_ATTR]}"
        return ""

    def source(self, v, scope, outer=None, call=None):
        """(node id, tooltip) of the node producing value `v` seen in `scope`."""
        if isinstance(v, Argument):
            if call is not None:  # an argument of an expanded callee: the caller's operand
                if v.index < len(call.operands):
                    return self.source(call.operands[v.index], outer)
                return None, ""
            return scope.args[v.index], str(v.type)
        if isinstance(v, OpResult):
            op = v.op
            if id(op) in self.expanded and call is None:
                inner_scope, _ = self.expanded[id(op)]
                if v.index < len(inner_scope.fn.returns):
                    return self.source(inner_scope.fn.returns[v.index], inner_scope, scope, op)
                return None, ""
            nid = scope.ids.get(id(op))
            tip = str(v.type) + (f" (#{v.index})" if len(op.results) > 1 else "")
            return nid, tip
        return None, ""

    def control_source(self, tok, scope, call=None):
        op = tok.op
        if call is None and id(op) in self.expanded:
            inner_scope, _ = self.expanded[id(op)]
            return inner_scope.ids[id(inner_scope.fn.ops[-1])], _cluster_id(self.group_of_call[id(op)],
                                                                            self.cluster_ids)
        return scope.ids.get(id(op)), None

    def op_edges(self, op, scope, top, call):
        dst = scope.ids[id(op)]
        for i, v in enumerate(op.operands):
            src, tip = self.source(v, scope, top, call)
            if src is not None:
                self.edges.append((src, dst, {"tooltip": tip}))
        controls = list(op.control_inputs)
        if call is not None and op is scope.fn.ops[0]:
            # the call's control inputs reach its group (drawn at its first op)
            for c in call.control_inputs:
                src, ltail = self.control_source(c, top)
                if src is not None:
                    self.edges.append((src, dst, {"style": "dashed", "color": "#969696", "ltail": ltail,
                                                  "lhead": _cluster_id(self.group_of_call[id(call)],
                                                                       self.cluster_ids)}))
        for c in controls:
            src, ltail = self.control_source(c, scope, call)
            if src is not None:
                self.edges.append((src, dst, {"style": "dashed", "color": "#969696", "ltail": ltail}))

    # ---- rendering ----------------------------------------------------------------------
    def render(self):
        self.cluster_ids = {}
        fn = self.fn
        title = "the main graph" if fn.is_graph else f"@{fn.name}"
        kind = function_kind(fn) if not fn.is_graph else None
        if kind:
            title += f" ({TITLE[kind]})"
        self.build()
        # each group sits in one device's box when all its nodes share the device
        for g in self.groups.values():
            devs = {self.node_device[n] for n in g.nodes}
            g.device = devs.pop() if len(devs) == 1 else ""
        devices = sorted({d for n, d in self.node_device.items() if d and n not in self.node_group}
                         | {g.device for g in self.groups.values() if g.device})
        lines = [f"digraph {quote('dataflow ' + title)} {{",
                 "  graph " + _attrs(label=f"{title}: {len(fn.ops)} ops", labelloc="t",
                                     fontname="Helvetica", compound="true", rankdir="TB")[1:] + ";",
                 "  node " + _attrs(shape="box", style="rounded,filled", fillcolor="white",
                                    fontname="Helvetica", fontsize="10")[1:] + ";",
                 "  edge " + _attrs(fontname="Helvetica", fontsize="8", arrowsize="0.6")[1:] + ";"]
        placed = set()

        def emit_group(g, indent):
            cid = _cluster_id(g.key, self.cluster_ids)
            lines.append(f"{indent}subgraph {quote(cid)} {{")
            lines.append(f"{indent}  graph " + _attrs(label=g.label, style="filled,rounded",
                                                      fillcolor=FILL[g.kind], color=BORDER[g.kind],
                                                      penwidth="2")[1:] + ";")
            for n in g.nodes:
                emit_node(n, indent + "  ")
            lines.append(f"{indent}}}")

        def emit_node(n, indent):
            placed.add(n)
            lines.append(f"{indent}{quote(n)}" + _attrs(**self.nodes[n]) + ";")

        for g in self.groups.values():   # cluster ids are fixed before any edge needs them
            _cluster_id(g.key, self.cluster_ids)
        for i, dev in enumerate(devices):
            dk = device_kind(dev)
            lines.append(f"  subgraph {quote(f'cluster_device_{i}')} {{")
            lines.append("    graph " + _attrs(label=dev, style="filled,dashed",
                                               fillcolor=DEVICE_FILL.get(dk, "#f7f7f7"),
                                               color=DEVICE_BORDER.get(dk, "#636363"))[1:] + ";")
            for n in self.node_order:
                if self.node_device[n] == dev and n not in self.node_group:
                    emit_node(n, "    ")
            for g in self.groups.values():
                if g.device == dev:
                    emit_group(g, "    ")
            lines.append("  }")
        for g in self.groups.values():
            if not g.device:
                emit_group(g, "  ")
        for n in self.node_order:
            if n not in placed:
                emit_node(n, "  ")
        for src, dst, attrs in self.edges:
            attrs = {k: v for k, v in attrs.items() if v}
            lines.append(f"  {quote(src)} -> {quote(dst)}" + _attrs(**attrs) + ";")
        lines.append("}")
        return "\n".join(lines) + "\n"


def _cluster_id(key, ids):
    if key not in ids:
        kind = key.split(":", 1)[0]
        ids[key] = f"cluster_{kind}_{len(ids)}"
    return ids[key]


def resolve_function(module, name):
    """The function `name` names (`@f` or `f`; `graph`, `__graph__` (its name, as
    --print-ir-function matches it), `<graph>` or `main` for the main graph); empty: the first
    signature's function, else the main graph."""
    name = (name or "").strip()
    if name.startswith("@"):
        name = name[1:]
    if not name:
        for s in module.signatures.values():
            if s.function in module.functions:
                return module.functions[s.function]
        return module.graph
    if name in (GRAPH, "graph", "__graph__", "main") and module.graph is not None \
            and name not in module.functions:
        return module.graph
    return module.functions.get(name)


__all__ = ["DataflowGraph", "call_graph_dot", "dataflow_dot", "resolve_function", "function_kind",
           "function_marks", "call_kind"]
