"""tpu-check-indirect-calls: reject a TPU function that calls another one through CPU code.

Seed 004, "Bekannte Probleme": the converter changes the direct caller of every TPU
function to call a TPU call stub (TPUOrdinalSelector + TPUPartitionedCall, ops that only run
on the CPU). If a TPU function A reaches TPU function B through a non-TPU function H
(A -> H -> B), H is B's direct caller and gets the stub, and the stub's CPU-only ops would
end up inside A's TPU computation. That is refused, with the converter's message:

    Unable to place both "A" and "B" on the TPU because "A" indirectly calls "B". This
    behavior is unsupported because it can cause invalid graphs to be generated.

(one line here, followed by ` (call path: A -> H -> B)`). Every offending pair is reported,
pairs separated by "; ". A TPU function that calls another TPU function directly is fine
(neither is changed). Edges are the call graph's: call ops, direct calls and function-valued
attributes (If/While/Case branches, BatchFunction `f`, ...). The search from A stops at other
TPU functions: their own calls are checked as their own pairs.
"""
from __future__ import annotations

from collections import deque

from smopt.passes.framework.registry import Pass, PassError, register
from smopt.passes.tpu_select_functions import is_tpu_function

MESSAGE = ('Unable to place both "{a}" and "{b}" on the TPU because "{a}" indirectly calls "{b}". '
           'This behavior is unsupported because it can cause invalid graphs to be generated.')


def indirect_tpu_calls(module, cg=None):
    """[(A, B, [A, ..., B])]: TPU function A reaches TPU function B through non-TPU code."""
    cg = cg or module.call_graph()
    g = cg.g
    tpu = {n for n, f in module.functions.items() if is_tpu_function(f)}
    found = []
    for a in sorted(tpu):
        parent = {}
        queue = deque()
        for h in sorted(g.successors(a)):
            if h not in tpu and h in module.functions and h not in parent:
                parent[h] = a
                queue.append(h)
        reached = {}
        while queue:
            h = queue.popleft()
            for s in sorted(g.successors(h)):
                if s in tpu:
                    reached.setdefault(s, h)
                elif s in module.functions and s not in parent and s != a:
                    parent[s] = h
                    queue.append(s)
        for b in sorted(reached):
            path = [b]
            n = reached[b]
            while n != a:
                path.append(n)
                n = parent[n]
            path.append(a)
            found.append((a, b, path[::-1]))
    return found


def format_indirect(a, b, path):
    return MESSAGE.format(a=a, b=b) + f" (call path: {' -> '.join(path)})"


@register
class TpuCheckIndirectCalls(Pass):
    name = "tpu-check-indirect-calls"
    title = "TpuCheckIndirectCalls"
    summary = "Reject TPU functions that call other TPU functions through non-TPU functions"
    statistics = {"num-direct-tpu-calls": "TPU functions called directly by TPU functions (accepted)"}

    def run(self, module):
        cg = module.call_graph()
        for a, b in cg.g.edges:
            if is_tpu_function(module.functions.get(a)) and is_tpu_function(module.functions.get(b)):
                self.bump("num-direct-tpu-calls")
        bad = indirect_tpu_calls(module, cg)
        if bad:
            raise PassError("; ".join(format_indirect(*t) for t in bad))
