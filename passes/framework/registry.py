"""Pass registration, typed options and the textual pipeline syntax.

A pass is a class with a registry `name` (what `-p` uses), a display `title` (what IR dump
headers show, like MLIR's pass class name), a one-line `summary`, typed `options` and the
`statistics` it counts. `@register` makes it available by name; every module directly in
passes/ is imported on first lookup, so a new pass is one new file.

Pipeline text follows mlir-opt: `dce,cse,inline{max-depth=2 respect-noinline=false}`;
options are separated by spaces, list values by commas; `builtin.module(...)` is accepted.
"""
from __future__ import annotations

import importlib
import os
import pkgutil

REGISTRY = {}


class PassError(Exception):
    """Raised by a pass to report failure (bad input for this pass, unsupported model, ...)."""


class PipelineError(ValueError):
    """A malformed pipeline, unknown pass or bad option value."""


class Option:
    def __init__(self, name, type, default, help="", choices=None):
        self.name = name
        self.type = type          # int, float, bool, str, "list[str]", "list[int]"
        self.default = default
        self.help = help
        self.choices = choices

    @property
    def attr(self):
        return self.name.replace("-", "_")

    def parse(self, text, pass_name):
        def bad(what):
            return PipelineError(f"option '{self.name}' of pass '{pass_name}' expects {what}, got '{text}'")
        if self.type is bool:
            if text in ("", "true", "1"):
                return True
            if text in ("false", "0"):
                return False
            raise bad("true or false")
        if self.type is int:
            try:
                return int(text, 0)
            except ValueError:
                raise bad("an integer") from None
        if self.type is float:
            try:
                return float(text)
            except ValueError:
                raise bad("a number") from None
        if self.type in ("list[str]", "list[int]"):
            items = [x.strip() for x in _split_top(text, ",") if x.strip()]
            if self.type == "list[int]":
                try:
                    return [int(x, 0) for x in items]
                except ValueError:
                    raise bad("a comma-separated list of integers") from None
            return [_unquote(x) for x in items]
        value = _unquote(text)
        if self.choices and value not in self.choices:
            raise bad("one of " + ", ".join(self.choices))
        return value

    def format(self, value):
        if self.type is bool:
            return "true" if value else "false"
        if self.type in ("list[str]", "list[int]"):
            return ",".join(str(v) for v in value)
        s = str(value)
        return f"'{s}'" if any(c in s for c in " ,{}") or s == "" else s


class Pass:
    name = None
    title = None
    summary = ""
    options = ()
    statistics = ()   # (counter name, description)

    def __init__(self, **values):
        self.stats = {name: 0 for name, _ in self.statistics}
        known = {o.attr: o for o in self.options}
        for key in values:
            if key.replace("-", "_") not in known:
                raise PipelineError(f"pass '{self.name}' has no option '{key}'")
        for o in self.options:
            v = values.get(o.attr, values.get(o.name, o.default))
            setattr(self, o.attr, list(v) if isinstance(v, list) else v)

    def bump(self, stat, n=1):
        self.stats[stat] = self.stats.get(stat, 0) + n

    def run(self, module):  # pragma: no cover - interface
        raise NotImplementedError

    def option_values(self):
        return {o.name: getattr(self, o.attr) for o in self.options}

    def pipeline_text(self):
        """This pass with its non-default options, in `-p` syntax."""
        opts = [f"{o.name}={o.format(getattr(self, o.attr))}" for o in self.options
                if getattr(self, o.attr) != o.default]
        return self.name + ("{" + " ".join(opts) + "}" if opts else "")

    @property
    def display(self):
        return self.title or self.name


def register(cls):
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    if cls.name in REGISTRY and REGISTRY[cls.name] is not cls:
        raise ValueError(f"pass name '{cls.name}' registered twice")
    REGISTRY[cls.name] = cls
    return cls


_loaded = False


def load_all():
    """Import every module of the passes package so that all passes register."""
    global _loaded
    if _loaded:
        return REGISTRY
    import smopt.passes as passes
    for info in pkgutil.iter_modules(passes.__path__):
        if not info.name.startswith("_") and not info.ispkg:
            _import(info.name)
    if test_passes_enabled():
        importlib.import_module("smopt.passes.testing.test_passes")
    _loaded = True
    return REGISTRY


def test_passes_enabled():
    """The pass-manager test passes (`test-fail`, `test-crash`, `test-break-ir`) exist only for
    smopt's own tests (SMOPT_TEST_PASSES=1, set by lit and pytest), as MLIR's test passes live
    in mlir-opt and not in the product's libraries."""
    return os.environ.get("SMOPT_TEST_PASSES") == "1"


def _import(module_name):
    try:
        importlib.import_module(f"smopt.passes.{module_name}")
    except ImportError as e:
        raise PipelineError(f"pass module 'passes/{module_name}.py' failed to import: {e}") from None


def get(name):
    """The pass class registered as `name`. Its module (the name with '_' for '-') is imported
    first, so a pipeline only loads the passes it uses."""
    if name not in REGISTRY:
        module_name = name.replace("-", "_")
        import smopt.passes as passes
        if any(info.name == module_name and not info.ispkg for info in pkgutil.iter_modules(passes.__path__)):
            _import(module_name)
        if name not in REGISTRY:
            load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        raise PipelineError(f"unknown pass '{name}'") from None


def _split_top(text, sep):
    """Split on `sep` (None: runs of whitespace, empty pieces dropped) outside braces,
    parentheses and quotes."""
    out, depth, quote, cur = [], 0, None, []
    for c in text:
        if quote:
            cur.append(c)
            if c == quote:
                quote = None
            continue
        if c in "'\"":
            quote = c
        elif c in "{(":
            depth += 1
        elif c in "})":
            depth -= 1
        if depth == 0 and (c.isspace() if sep is None else c == sep):
            out.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    if quote or depth:
        raise PipelineError(f"unbalanced {'quote' if quote else 'braces'} in '{text}'")
    out.append("".join(cur))
    return [p for p in out if p] if sep is None else out


def _unquote(s):
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    return s


def parse_pipeline(text):
    """Parse pipeline text into a list of Pass instances (raises PipelineError)."""
    text = text.strip()
    if text.startswith("builtin.module(") and text.endswith(")"):
        text = text[len("builtin.module("):-1]
    if not text:
        return []
    out = []
    for item in _split_top(text, ","):
        item = item.strip()
        if not item:
            raise PipelineError(f"empty pass name in pipeline '{text}'")
        name, opts = item, ""
        if "{" in item:
            if not item.endswith("}"):
                raise PipelineError(f"expected '}}' at the end of '{item}'")
            name, opts = item[:item.index("{")].strip(), item[item.index("{") + 1:-1]
        cls = get(name)
        known = {o.name: o for o in cls.options}
        values = {}
        for part in _split_top(opts, None):
            key, eq, val = part.partition("=")
            if key not in known:
                names = ", ".join(sorted(known)) or "none"
                raise PipelineError(f"pass '{name}' has no option '{key}' (options: {names})")
            opt = known[key]
            if not eq and opt.type is not bool:
                raise PipelineError(f"option '{key}' of pass '{name}' needs a value ({key}=...)")
            values[opt.attr] = opt.parse(val, name)
        out.append(cls(**values))
    return out


def pipeline_text(pass_list):
    return ",".join(p.pipeline_text() for p in pass_list)


def describe_all():
    """The text of `--list-passes`: every pass, its summary and options."""
    load_all()
    lines = ["Available passes:"]
    for name in sorted(REGISTRY):
        cls = REGISTRY[name]
        lines.append(f"  {name:<28} - {cls.summary}")
        for o in cls.options:
            tname = o.type if isinstance(o.type, str) else o.type.__name__
            if o.choices:
                tname = "|".join(o.choices)
            lines.append(f"      {o.name}=<{tname}> (default {o.format(o.default)}) - {o.help}")
    return "\n".join(lines) + "\n"
