"""tpu-conversion-report: print the converter's conversion report (analysis only).

Seed 004, "Conversion-Bericht": the estimated compute cost of the output model on the CPU
and on the TPU, and the TPU cost per TPU function, in exactly this layout:

    -------- Conversion Report --------
    TPU cost of the model: 96.67% (2034/2104)
    CPU cost of the model:  3.33% (70/2104)

    Cost breakdown
    ================================
    %         Cost    Name
    --------------------------------
    3.33      70      [CPU cost]
    48.34     1017    tpu_func_1
    48.34     1017    tpu_func_2
    --------------------------------

Percentages have two decimals; the two summary percentages are right-aligned to the same
width (at least 5 characters, as " 3.33"). Breakdown columns: the percentage left-aligned in
10 characters, the cost in 8, then the name (a wider value still gets one space). Rows: the
CPU cost, then each TPU function, named by its function alias when it has one (else by its
function name), in name order; the traces one alias names (each trace of the aliased
tf.function that tf.saved_model.save recorded) are one row with their costs summed.

Figures come from passes/analysis/cost_model.py (see there for the unit and the formulas), over what
the signatures execute: the model's cost is the sum over its signatures' entry functions (each
distinct function once; a model without signatures uses its exported and aliased functions
that no other such function calls). Everything a TPU function runs (including functions it
calls) is that TPU function's cost; everything else is CPU cost. A TPU function that no
signature reaches is listed with cost 0.

Options: `output=-` (default) writes the report to stderr, since smopt's stdout carries the
IR; `output=PATH` writes it to a file. `json=PATH` also writes the same figures as JSON:
{"tpu_cost", "cpu_cost", "total_cost", "tpu_percent", "cpu_percent",
 "functions": [{"name", "function", "cost", "percent"}], "cost_unit"}; a row for several
traces names the costliest as "function" and lists them all under "traces".
The IR is not changed.

When tpu-auto-partition chose the TPU functions (smopt's addition, after the seed's layout),
a section says what it chose and why the rest stayed on the CPU:

    Automatic TPU partitioning (regions of at least 1.00% of the model's cost)
    ================================
    %         Cost    TPU region
    --------------------------------
    98.55     19502   __inference_serve_10_tpu_region_0
    --------------------------------
    %         Cost    Kept on the CPU: why (ops)
    --------------------------------
    0.84      166     no XLA kernel for TPU (string op) (StringLower, StringSplitV2)
    0.52      103     no XLA kernel for TPU (LookupTableFindV2, RaggedTensorToTensor)
    0.09      18      region below 1.00% of the model's cost (StridedSlice x2)
    --------------------------------

CPU rows group the CPU functions' ops by the reason tpu-auto-partition recorded
(`smopt.tpu_cpu_reason`), most expensive first, each CPU function once; CPU cost it did not
examine (functions no signature runs through it, ops later passes added) is one row
"(not examined by tpu-auto-partition)". JSON: "auto_partition": {"min_cost_percent",
"regions": [{"function", "cost", "percent"}], "cpu": [{"reason", "ops", "cost", "percent"}]}.
"""
from __future__ import annotations

import json
import os

from smopt.passes.analysis.cost_model import CostModel
from smopt.passes.framework.output import write_text
from smopt.passes.framework.registry import Pass, PassError, option, register
from smopt.passes.tpu_select_functions import is_tpu_function

RULE_EQ = "=" * 32
RULE = "-" * 32
COST_UNIT = "1 unit = 1 FLOP or 4 bytes of memory traffic (passes/analysis/cost_model.py)"


def _roots(module):
    sig = []
    for s in module.signatures.values():
        if s.function in module.functions and s.function not in sig:
            sig.append(s.function)
    if sig:
        return sig
    cg = module.call_graph()
    cands = sorted({f for f in module.aliased_functions() if f in module.functions} |
                   {n for n, f in module.functions.items() if f.attrs.get("tf_saved_model.exported")})
    return [c for c in cands if not any(o != c and cg.reaches(o, c) for o in cands)]


def display_name(module, name):
    aliases = module.function_aliases_of(name)
    return aliases[0] if aliases else name


def compute(module):
    """The report's figures as a dict (see the module docstring for the keys)."""
    cm = CostModel(module)
    tpu = frozenset(n for n, f in module.functions.items() if is_tpu_function(f))
    cpu, per = 0, {}
    for root in _roots(module):
        c, d = cm.split(root, tpu)
        cpu += c
        for k, v in d.items():
            per[k] = per.get(k, 0) + v
    tpu_cost = sum(per.values())
    total = cpu + tpu_cost

    def pct(x):
        return round(100.0 * x / total, 2) if total else 0.0

    # A clone made by tpu-io-shape-opt is the same TPU function to the user: one row.
    merged = {}
    for n in tpu:
        origin = module.functions[n].attrs.get("smopt.io_shape_clone_of", n)
        merged[origin] = merged.get(origin, 0) + per.get(n, 0)
    # The traces one function_alias names (tf.saved_model.save records each trace of the
    # aliased tf.function) are one TPU function to the user too: one row per name.
    by_name = {}
    for n in sorted(merged):
        by_name.setdefault(display_name(module, n), []).append(n)
    rows = []
    for name in sorted(by_name):
        fns = by_name[name]
        cost = sum(merged[n] for n in fns)
        row = {"name": name, "function": max(fns, key=lambda n: (merged[n], n)), "cost": cost,
               "percent": pct(cost)}
        if len(fns) > 1:
            row["traces"] = fns
        rows.append(row)
    fig = {
        "tpu_cost": tpu_cost, "cpu_cost": cpu, "total_cost": total,
        "tpu_percent": pct(tpu_cost), "cpu_percent": pct(cpu),
        "functions": rows,
        "cost_unit": COST_UNIT,
    }
    auto = _auto_partition(module, cm, tpu, merged, cpu, pct)
    if auto is not None:
        fig["auto_partition"] = auto
    return fig


def _auto_partition(module, cm, tpu, merged, cpu_cost, pct):
    """The automatic partitioning section's figures, or None if tpu-auto-partition chose nothing."""
    from smopt.passes.tpu_auto_partition import AUTO_ATTR, MIN_ATTR, REASON_ATTR
    regions = sorted(n for n in merged if AUTO_ATTR in module.functions[n].attrs)
    if not regions:
        return None
    # CPU functions: what the signatures run without entering a TPU function, each once.
    g = module.call_graph().g
    todo = [r for r in _roots(module) if r not in tpu]
    seen = set(todo)
    by_reason = {}
    while todo:
        fn = module.functions.get(todo.pop())
        if fn is None:
            continue
        for op in fn.ops:
            why = op.attrs.get(REASON_ATTR)
            c = cm.own_cost(op)
            if why is None or c <= 0:
                continue
            entry = by_reason.setdefault(why, [0, {}])
            entry[0] += c
            entry[1][op.type] = entry[1].get(op.type, 0) + 1
        for s in sorted(g.successors(fn.name)) if fn.name in g else ():
            if s not in seen and s not in tpu and s in module.functions:
                seen.add(s)
                todo.append(s)
    cpu_rows = [{"reason": why, "ops": ", ".join(t if n == 1 else f"{t} x{n}" for t, n in sorted(ops.items())),
                 "cost": c, "percent": pct(c)}
                for why, (c, ops) in sorted(by_reason.items(), key=lambda kv: (-kv[1][0], kv[0]))]
    rest = cpu_cost - sum(r["cost"] for r in cpu_rows)
    if rest > 0:
        cpu_rows.append({"reason": "(not examined by tpu-auto-partition)", "ops": "", "cost": rest,
                         "percent": pct(rest)})
    return {
        "min_cost_percent": module.functions[regions[0]].attrs.get(MIN_ATTR),
        "regions": [{"function": n, "cost": merged[n], "percent": pct(merged[n])} for n in regions],
        "cpu": cpu_rows,
    }


def format_report(fig):
    total = fig["total_cost"]
    a, b = f"{fig['tpu_percent']:.2f}", f"{fig['cpu_percent']:.2f}"
    w = max(5, len(a), len(b))
    lines = ["-------- Conversion Report --------",
             f"TPU cost of the model: {a:>{w}}% ({fig['tpu_cost']}/{total})",
             f"CPU cost of the model: {b:>{w}}% ({fig['cpu_cost']}/{total})",
             "",
             "Cost breakdown",
             RULE_EQ,
             f"{'%':<10}{'Cost':<8}Name",
             RULE]

    def row(p, cost, name):
        return f"{f'{p:.2f}':<9} {str(cost):<7} {name}"

    lines.append(row(fig["cpu_percent"], fig["cpu_cost"], "[CPU cost]"))
    for f in fig["functions"]:
        lines.append(row(f["percent"], f["cost"], f["name"]))
    lines.append(RULE)
    auto = fig.get("auto_partition")
    if auto:
        low = auto.get("min_cost_percent")
        rule = f" (regions of at least {low:.2f}% of the model's cost)" if low is not None else ""
        lines += ["", "Automatic TPU partitioning" + rule, RULE_EQ, f"{'%':<10}{'Cost':<8}TPU region", RULE]
        lines += [row(r["percent"], r["cost"], r["function"]) for r in auto["regions"]]
        lines += [RULE, f"{'%':<10}{'Cost':<8}Kept on the CPU: why (ops)", RULE]
        lines += [row(r["percent"], r["cost"], r["reason"] + (f" ({r['ops']})" if r["ops"] else ""))
                  for r in auto["cpu"]] or [row(0.0, 0, "(nothing)")]
        lines.append(RULE)
    return "\n".join(lines) + "\n"


@register
class TpuConversionReport(Pass):
    name = "tpu-conversion-report"
    title = "TpuConversionReport"
    summary = "Print the conversion report: estimated CPU/TPU cost split and TPU cost per function"
    output: str = option("-", "where the report goes: '-' for stderr, or a file path")
    json: str = option("", "also write the figures as JSON to this file ('-' for stderr)")
    statistics = {
        "tpu-cost": "Estimated TPU cost of the model",
        "cpu-cost": "Estimated CPU cost of the model",
    }

    def run(self, module):
        fig = compute(module)
        self.bump("tpu-cost", fig["tpu_cost"])
        self.bump("cpu-cost", fig["cpu_cost"])
        text = format_report(fig)
        try:
            write_text(self.output, text)
            if self.json:
                if self.json != "-":  # '-' is stderr, as for output=
                    os.makedirs(os.path.dirname(os.path.abspath(self.json)), exist_ok=True)
                write_text(self.json, json.dumps(fig, indent=2) + "\n")
        except OSError as e:
            raise PassError(f"cannot write the conversion report: {e}") from None
