"""symbol-dce: drop functions that no entry point reaches.

Entry points: the main graph, signature functions, aliased functions, the functions `keep`
names and (unless keep-exported=false) functions the SavedModel's object graph exports.
"""
from __future__ import annotations

from smopt.passes.framework.registry import Pass, option, register


@register
class SymbolDCE(Pass):
    name = "symbol-dce"
    title = "SymbolDCE"
    summary = "Remove functions unreachable from the graph, signatures, aliases and exports"
    keep_exported: bool = option(True, "treat functions the object graph exports as roots")
    keep: list[str] = option([], "functions that stay roots whatever keep-exported says (e.g. the "
                             "creators and initializers of lookup tables the object graph restores)")
    statistics = {"num-dce'd": "Number of functions removed"}

    def run(self, module):
        cg = module.call_graph()
        roots = cg.roots()
        if not self.keep_exported:
            aliased = module.aliased_functions()
            roots -= {n for n, f in module.functions.items()
                      if f.attrs.get("tf_saved_model.exported")
                      and n not in aliased
                      and all(s.function != n for s in module.signatures.values())}
        roots |= {n for n in self.keep if n in module.functions}
        live = set(roots)
        for r in roots:
            live |= cg.reachable(r)
        for name in [n for n in module.functions if n not in live]:
            if module.functions[name].attrs.get("tf_saved_model.exported"):
                module.dropped_exports.add(name)
            module.remove_function(name)
            self.bump("num-dce'd")
