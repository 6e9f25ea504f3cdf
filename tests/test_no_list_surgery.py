"""Passes and the compiler change functions only through the IR's mutation API: ops are made
and placed by `smopt.ir.builder.Builder`, replaced and erased through `Op`/`Value` methods or
a `PatternRewriter`. Nothing outside `ir/` touches a function's op list, a value's use list
or the linked-list internals (they would fall out of step with each other). No TensorFlow."""
from __future__ import annotations

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCANNED = ("passes", "compiler", "tools")

# Constructing a detached op (then placing it by hand) is what the Builder replaces.
_FORBIDDEN_CALLS = {"Op", "make_const", "clone_op", "clone_ops_into"}
# Function's placement primitives and list internals.
_FORBIDDEN_METHODS = {"insert_before", "insert_after", "_remove_op", "_adopt", "_link_before",
                      "_link_after", "_unlink", "_forget_name"}
_LIST_MUTATORS = {"append", "insert", "remove", "pop", "extend", "clear", "sort", "reverse"}
# IR lists whose entries pair with use lists (or are the op list itself).
_IR_LISTS = {"ops", "uses", "operands", "control_inputs", "results", "returns", "control_rets"}
_INTERNALS = {"_head", "_tail", "_prev", "_next", "_count", "_cache", "_names", "_suffix", "_view"}


def _on_self(node):
    """Whether `node` (`self.classes[k]`, ...) hangs off `self`: a pass's own data may reuse
    these names (a `uses` list, a `_next` counter)."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return isinstance(node, ast.Name) and node.id == "self"


def _ir_list(node):
    """`x.ops` (and the like) when `x` does not hang off `self`."""
    return isinstance(node, ast.Attribute) and node.attr in _IR_LISTS and not _on_self(node.value)


def _violations(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            if name in _FORBIDDEN_CALLS:
                yield node, f"{name}(...): create ops with a Builder"
            elif isinstance(f, ast.Attribute) and name in _FORBIDDEN_METHODS:
                yield node, f".{name}(...): place ops with a Builder"
            elif isinstance(f, ast.Attribute) and name in _LIST_MUTATORS and _ir_list(f.value):
                yield node, f".{f.value.attr}.{name}(...): use the IR's mutation API"
            elif isinstance(f, ast.Attribute) and name == "append" and any(k.arg == "uniquify" for k in node.keywords):
                yield node, "Function.append(...): place ops with a Builder"
        targets = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for t in targets:
            for sub in ast.walk(t):
                if _ir_list(sub) and (sub is t or isinstance(t, (ast.Subscript, ast.Tuple, ast.List))):
                    yield node, f"assigning .{sub.attr}: use the IR's mutation API"
                elif isinstance(sub, ast.Attribute) and sub.attr in _INTERNALS \
                        and isinstance(sub.ctx, (ast.Store, ast.Del)) and not _on_self(sub.value):
                    yield node, f"assigning .{sub.attr}: IR internals"


def _sources():
    for top in SCANNED:
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for f in sorted(files):
                if f.endswith(".py"):
                    yield os.path.join(dirpath, f)


def test_no_pass_edits_ir_lists_by_hand():
    found = []
    for path in _sources():
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        for node, why in _violations(tree):
            found.append(f"{os.path.relpath(path, ROOT)}:{node.lineno}: {why}")
    assert not found, "hand-made IR surgery outside ir/:\n" + "\n".join(found)


@pytest.mark.parametrize("code", [
    "fn.ops.append(op)", "fn.ops.insert(0, op)", "fn.ops.remove(op)", "fn.ops.pop()",
    "fn.ops = []", "fn.ops[0] = op", "del fn.ops[0]", "v.uses.append((op, 0))", "v.uses.remove(u)",
    "fn.insert_before(a, op)", "fn.insert_after(a, op)", "fn._remove_op(op)", "fn.append(op, uniquify=False)",
    "Op('NoOp')", "core.Op('NoOp')", "make_const(1)", "clone_op(op, {})", "op.operands.append(v)",
    "fn.returns = [v]", "op._next = None",
])
def test_the_check_catches(code):
    assert list(_violations(ast.parse(code))), code


@pytest.mark.parametrize("code", [
    "for op in fn.ops: pass", "n = len(fn.ops)", "first = fn.ops[0]", "self.uses.append(x)",
    "b.create('NoOp')", "op.erase()", "xs.append(op)", "self.ops = []", "self.classes[k].uses.append(u)",
    "self._next = 0",
])
def test_the_check_allows(code):
    assert not list(_violations(ast.parse(code))), code


def test_every_pass_has_its_lit_folder():
    """lit_tests/passes/<pass-name>/ exists, named exactly after each registered pass, and
    holds only such folders (a reader finds a pass's golden tests by its name)."""
    import os
    from smopt.passes.framework.registry import load_all
    root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lit_tests", "passes")
    # The pass-manager test passes (smopt.passes.testing) are exercised by lit_tests/tools/.
    passes = {name for name, cls in load_all().items()
              if not cls.__module__.startswith("smopt.passes.testing.")}
    folders = {d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d))}
    assert folders == passes, (sorted(passes - folders), sorted(folders - passes))
    for d in folders:
        assert any(f.endswith(".mlir") for f in os.listdir(os.path.join(root, d))), d
    assert not [f for f in os.listdir(root) if f.endswith(".mlir")]
