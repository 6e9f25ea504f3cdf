"""The module's call graph as a networkx DiGraph.

Nodes are function names, plus GRAPH for the SavedModel's main graph. An edge f -> g exists
when an op in f calls g through a call op (PartitionedCall, StatefulPartitionedCall,
TPUPartitionedCall, a direct library-function op) or names g in any function-valued
attribute (If/While/Case branches and bodies, BatchFunction `f`, ...). Each edge keeps its
call sites as `sites`: a list of (op, how), `how` being the attr name or "call".
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from smopt.ir.core import CALL_OPS

if TYPE_CHECKING:
    from smopt.ir.core import Module, Op

GRAPH = "<graph>"


class _LazyNetworkx:
    """networkx costs ~0.2 s to import; smopt runs that never build a call graph skip it."""

    def __getattr__(self, name: str) -> Any:
        import networkx
        return getattr(networkx, name)


nx = _LazyNetworkx()


def function_refs_of(op: Op) -> list[str]:
    """Every function `op` calls or names: a direct call's callee, then the function-valued
    attributes (call `f`, If/While/Case branches and bodies, BatchFunction `f`, ...); the
    edges `Function.walk_function_refs` yields for this op."""
    from smopt.ir.attributes import function_refs
    out = [op.type] if op.callee is not None and op.callee == op.type else []
    for value in op.attrs.values():
        out.extend(function_refs(value))
    return out


def reached_functions(module: Module, names: Iterable[str],
                      callees: Callable[[Op], list[str] | None] = function_refs_of) -> set[str]:
    """The one reachability: names of the functions reachable from `names` (included, when
    they are functions of the module), following `callees(op)` (a list of function names or
    None) through the ops of each function reached. The default follows every reference."""
    out: set[str] = set()
    todo = list(names)
    while todo:
        n = todo.pop()
        if n in out or n not in module.functions:
            continue
        out.add(n)
        for op in module.functions[n].ops:
            todo.extend(callees(op) or [])
    return out


def call_sites(module: Module, call_ops: Iterable[str] = CALL_OPS) -> dict[str, list[Op] | None]:
    """function name -> the ops that call it (direct calls, and ops of `call_ops` whose `f`
    names it), or None when anything else references it too (If/While/Case, BatchFunction,
    a call op kind not in `call_ops`, a function-valued attr nested elsewhere): whether a
    function's arguments are exactly what its call sites pass."""
    sites: dict[str, list[Op] | None] = {name: [] for name in module.functions}
    for fn in module.all_functions():
        for op, name, how in fn.walk_function_refs():
            got = sites.get(name)
            if got is None:
                continue
            if how == "call" or (how == "f" and op.type in call_ops):
                got.append(op)
            else:
                sites[name] = None
    return sites


class CallGraph:
    """The call graph of `module` as it was when built (`g`: a networkx DiGraph)."""

    def __init__(self, module: Module) -> None:
        self.module = module
        g = nx.DiGraph()
        for name in module.functions:
            g.add_node(name)
        if module.graph is not None:
            g.add_node(GRAPH)
        for fn in module.all_functions():
            src = GRAPH if fn.is_graph else fn.name
            for op, callee, how in fn.walk_function_refs():
                if not g.has_edge(src, callee):
                    g.add_edge(src, callee, sites=[])
                g.edges[src, callee]["sites"].append((op, how))
        self.g: Any = g

    def callees(self, name: str) -> list[str]:
        return sorted(self.g.successors(name)) if name in self.g else []

    def callers(self, name: str) -> list[str]:
        return sorted(self.g.predecessors(name)) if name in self.g else []

    def reachable(self, name: str) -> set[str]:
        """Every function reachable from `name` (not including itself unless recursive)."""
        return nx.descendants(self.g, name) if name in self.g else set()

    def reaches(self, src: str, dst: str) -> bool:
        return src in self.g and dst in self.g and src != dst and nx.has_path(self.g, src, dst)

    def sccs(self) -> list[set[str]]:
        return [c for c in nx.strongly_connected_components(self.g)]

    def recursive_functions(self) -> set[str]:
        out: set[str] = set()
        for comp in nx.strongly_connected_components(self.g):
            if len(comp) > 1:
                out |= comp
            else:
                (n,) = comp
                if self.g.has_edge(n, n):
                    out.add(n)
        return out

    def unresolved(self) -> list[str]:
        """Referenced names that are not functions of the module."""
        return sorted(n for n in self.g if n != GRAPH and n not in self.module.functions)

    def shortest_path(self, src: str, dst: str) -> list[str]:
        return nx.shortest_path(self.g, src, dst)

    def roots(self) -> set[str]:
        """Entry points: the graph, signature functions, aliased and exported functions."""
        m = self.module
        roots: set[str] = set()
        if m.graph is not None:
            roots.add(GRAPH)
        roots |= {s.function for s in m.signatures.values()}
        roots |= m.aliased_functions()
        roots |= {n for n, f in m.functions.items() if f.attrs.get("tf_saved_model.exported")}
        return {r for r in roots if r in self.g}

    def to_text(self, marks: Callable[[str], list[str]] | None = None) -> str:
        """One line per function with its tags (signature, alias, and what `marks(name)`
        adds), then its callees with how each is called. (The DOT form, with TPU and XLA
        marks, is smopt.passes.analysis.graphviz.call_graph_dot.)"""
        m = self.module
        lines = [f"// call graph: {len(m.functions)} functions, {self.g.number_of_edges()} edges"]
        order = ([GRAPH] if GRAPH in self.g else []) + list(m.functions)
        order += [n for n in self.unresolved()]
        sig_of: dict[str, list[str]] = {}
        for s in m.signatures.values():
            sig_of.setdefault(s.function, []).append(s.name)
        for n in order:
            tags = []
            if n in sig_of:
                tags.append("signature: " + ", ".join(sorted(sig_of[n])))
            aliases = m.function_aliases_of(n)
            if aliases:
                tags.append("alias: " + ", ".join(aliases))
            if n not in m.functions and n != GRAPH:
                tags.append("unresolved")
            if marks is not None:
                tags.extend(marks(n))
            label = n if n == GRAPH else "@" + n
            lines.append(label + (f" [{'; '.join(tags)}]" if tags else ""))
            for callee in sorted(self.g.successors(n)):
                hows = sorted({f"{op.type}:{how}" if how != "call" else "direct call"
                               for op, how in self.g.edges[n, callee]["sites"]})
                lines.append(f"  -> @{callee} ({', '.join(hows)})")
        return "\n".join(lines) + "\n"
