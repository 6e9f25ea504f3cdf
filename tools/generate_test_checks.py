"""Turn smopt output into FileCheck lines, as MLIR's generate-test-checks.py does.

    smopt test.mlir -p cse | python -m smopt.tools.generate_test_checks

Function headers (and the main graph's `"tf.graph"() ({`) become CHECK-LABEL, each body line
CHECK-NEXT. Numbered SSA values and
control tokens become FileCheck variables (defined on first sight, reused afterwards), so
the checks do not depend on the printer's numbering. Arguments keep their names.
"""
from __future__ import annotations

import re
import sys

_VALUE = re.compile(r"%(ctl_\d+|\d+)(:\d+|#\d+)?")
_GRAPH = '"tf.graph"() ({'        # the main graph: a region, checked like a function body
_GRAPH_END = "}) : () -> ()"


def checks_for(text, prefix="CHECK"):
    out = []
    defined = {}
    in_func = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("func.func") or line.startswith(_GRAPH):
            defined = {}
            in_func = True
            header = _GRAPH if line.startswith(_GRAPH) else line.split("(", 1)[0] + "("
            out.append(f"// {prefix}-LABEL: {header}")
            continue
        if not in_func or not line:
            continue
        if line in ("}", _GRAPH_END):
            in_func = False
            out.append(f"// {prefix}-NEXT: {line}")
            continue
        lhs, eq, rhs = line.partition(" = ")
        if eq and lhs.startswith("%") and '"' not in lhs:
            new_lhs = _VALUE.sub(lambda m: _define(m, defined), lhs)
            body = _VALUE.sub(lambda m: _use(m, defined), rhs)
            out.append(f"// {prefix}-NEXT: {new_lhs} = {_escape(body)}")
        else:
            out.append(f"// {prefix}-NEXT: {_escape(_VALUE.sub(lambda m: _use(m, defined), line))}")
    return "\n".join(out) + "\n"


def _var(name):
    return ("CTL" + name[4:]) if name.startswith("ctl_") else "V" + name


def _define(m, defined):
    name, suffix = m.group(1), m.group(2) or ""
    var = _var(name)
    defined[name] = var
    pattern = "%ctl_[0-9]+" if name.startswith("ctl_") else "%[0-9]+"
    return f"[[{var}:{pattern}]]{suffix}"


def _use(m, defined):
    name, suffix = m.group(1), m.group(2) or ""
    if name not in defined:
        return m.group(0)
    return f"[[{defined[name]}]]{suffix}"


def _escape(s):
    # `{{` and `[[` open FileCheck regexes/variables: keep literal ones literal.
    s = s.replace("{{", "{{[{][{]}}")
    return re.sub(r"\[\[(?!(V\d+|CTL\d+)(:|\]\]))", "{{\\\\[\\\\[}}", s)


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input", nargs="?", default="-")
    ap.add_argument("--check-prefix", default="CHECK")
    args = ap.parse_args(argv)
    text = sys.stdin.read() if args.input == "-" else open(args.input).read()
    sys.stdout.write(checks_for(text, args.check_prefix))
    return 0


if __name__ == "__main__":
    sys.exit(main())
