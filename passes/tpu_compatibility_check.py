"""tpu-compatibility-check: refuse TPU functions that contain what the TPU cannot run.

The converter itself does not check this (seed 004: "Der Konverter prüft nicht auf
TPU-inkompatible Vorgänge"), so a model with such ops converts and then fails at inference
with `'tf.StringToNumber' op isn't compilable for TPU device.`. This pass reports those
failures at conversion time instead, all at once, in the runtime's words.

Checked: every op of every TPU function (`smopt.tpu_function`) and of every function a TPU
function reaches (calls, If/While/Case branches, ...), against the XLA kernel table of
passes/analysis/xla_compat.py: ops without an XLA kernel for the TPU (string ops, sparse ops, most
I/O, custom ops), type attributes the op's XLA kernel does not accept, operands/results of
a dtype the TPU does not support (strings above all); and the TPU functions' own arguments
and results, which must not be strings ("die Parameter und Rückgabewerte der TPU-Funktion
sollten nicht vom Typ String sein").

Each problem is one item; items are joined with "; " into the one-line error, e.g.

    'tf.StringToNumber' op isn't compilable for TPU device. (node "StringToNumber" in
    @__inference_serve_30: no XLA kernel for TPU (string op))

Options: `extra-unsupported-ops=A,B` reports ops of these types too; `allow-ops=C,D`
accepts ops of these types unconditionally (custom ops that do have a TPU kernel). The
environment variable SMOPT_TPU_OPS_FILE (see passes/analysis/xla_compat.py) does the same from a file.
Nothing selected for the TPU: nothing to check.
"""
from __future__ import annotations

from smopt.ir import types as T

from smopt.passes.analysis import xla_compat
from smopt.passes.framework.registry import Pass, PassError, option, register
from smopt.passes.tpu_select_functions import is_tpu_function


def tpu_label(module, name):
    aliases = module.function_aliases_of(name)
    return f'@{name} (alias "{aliases[0]}")' if aliases else f"@{name}"


def tpu_regions(module, cg=None):
    """{function name: the TPU function it runs under} for TPU functions and all they reach."""
    cg = cg or module.call_graph()
    region = {}
    tpu = sorted(n for n, f in module.functions.items() if is_tpu_function(f))
    for t in tpu:
        region.setdefault(t, t)
    for t in tpu:
        for n in sorted(cg.reachable(t)):
            if n in module.functions:
                region.setdefault(n, t)
    return region


def _value_problem(t):
    if not isinstance(t, T.TensorType):
        return None
    dt = t.dtype
    if dt is T.string:
        return "string"
    if not xla_compat.dtype_supported(dt, "tpu"):
        return dt.mlir
    return None


@register
class TpuCompatibilityCheck(Pass):
    name = "tpu-compatibility-check"
    title = "TpuCompatibilityCheck"
    summary = "Report ops, strings and dtypes in TPU functions that the TPU cannot run"
    extra_unsupported_ops: list[str] = option([], "op types to report as unsupported too")
    allow_ops: list[str] = option([], "op types to accept unconditionally (custom TPU ops)")
    statistics = {
        "num-checked-functions": "Functions checked (TPU functions and what they reach)",
        "num-checked-ops": "Ops checked",
        "num-problems": "Problems found",
    }

    def run(self, module):
        cg = module.call_graph()
        region = tpu_regions(module, cg)
        problems = []
        allow, deny = set(self.allow_ops), set(self.extra_unsupported_ops)
        # Each TPU function, then what it reaches (module order), each function once.
        order = []
        for t in sorted(n for n in region if region[n] == n):
            order.append(t)
            order += [n for n in module.functions if region.get(n) == t and n != t]
        for name in order:
            fn = module.functions[name]
            self.bump("num-checked-functions")
            if is_tpu_function(fn):
                problems += self._signature_problems(module, fn)
            under = "" if region[name] == name else f", called from TPU function {tpu_label(module, region[name])}"
            for op in fn.ops:
                self.bump("num-checked-ops")
                try:
                    issues = xla_compat.op_issues(op, module, "tpu", allow, deny)
                except ValueError as e:  # an unreadable SMOPT_TPU_OPS_FILE
                    raise PassError(str(e)) from None
                if issues:
                    problems.append(f"'tf.{op.type}' op isn't compilable for TPU device. "
                                    f"(node \"{op.name}\" in @{name}{under}: {'; '.join(issues)})")
        self.bump("num-problems", len(problems))
        if problems:
            raise PassError("; ".join(problems))

    def _signature_problems(self, module, fn):
        out = []
        label = tpu_label(module, fn.name)
        hint = "move it out of the TPU function (into its CPU caller)"
        for a in fn.args:
            p = _value_problem(a.type)
            if p == "string":
                out.append(f"TPU function {label} has a string argument %{a.name}; strings are not "
                           f"supported on the TPU, {hint}")
            elif p:
                out.append(f"TPU function {label} has argument %{a.name} of type {a.type}, which the "
                           f"TPU does not support")
        for i, v in enumerate(fn.returns):
            rname = fn.result_names[i] if i < len(fn.result_names) else f"#{i}"
            p = _value_problem(v.type)
            if p == "string":
                out.append(f"TPU function {label} returns a string (result {rname}); strings are not "
                           f"supported on the TPU, {hint}")
            elif p:
                out.append(f"TPU function {label} returns result {rname} of type {v.type}, which the "
                           f"TPU does not support")
        return out
