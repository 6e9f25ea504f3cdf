"""Pass registration, typed options, declared statistics and the textual pipeline syntax.

A pass is a small class: a registry `name` (what `-p` uses), a display `title` (what IR dump
headers show, like MLIR's pass class name), a one-line `summary`, a long description (the
`description` attribute, else the class docstring, else its module's docstring; printed by
`smopt --list-passes --verbose`), typed options as annotated class attributes and the
`statistics` it counts:

    @register
    class Inline(Pass):
        name = "inline"
        title = "Inliner"
        summary = "Inline PartitionedCall/StatefulPartitionedCall callees"

        max_depth: int = option(8, "rounds of inlining")            # -p 'inline{max-depth=2}'
        respect_noinline: bool = option(True, "do not inline callees with _noinline=true")

        statistics = {"num-inlined": "Number of call sites inlined"}

        def run(self, module): ...                                   # self.max_depth, self.bump(...)

An option's pipeline name is its attribute name in kebab case; its type (int, float, bool,
str, list[str], list[int]) comes from the annotation. Bumping a statistic the class did not
declare is an error. `FunctionPass` runs `run_on_function(fn)` once per function (the main
graph only with `runs_on_main_graph = True`). `@register` makes a pass available by name;
every module directly in passes/ is imported on first lookup, so a new pass is one new file.

Pipeline text follows mlir-opt: `dce,cse,inline{max-depth=2 respect-noinline=false}`;
options are separated by spaces, list values by commas; `builtin.module(...)` is accepted.
"""
from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, TypeVar, Union, cast

if TYPE_CHECKING:
    from smopt.ir.core import Function, Module

REGISTRY: dict[str, type[Pass]] = {}

_T = TypeVar("_T")
# int, float, bool, str, or the strings "list[str]" and "list[int]"
OptionType = Union[type, str]
_OPTION_TYPES: dict[str, OptionType] = {"int": int, "float": float, "bool": bool, "str": str,
                                        "list[str]": "list[str]", "list[int]": "list[int]"}


class PassError(Exception):
    """Raised by a pass to report failure (bad input for this pass, unsupported model, ...)."""


class PipelineError(ValueError):
    """A malformed pipeline, unknown pass or bad option value."""


class UndeclaredStatisticError(KeyError):
    """A pass counted a statistic that its class does not declare (a bug in the pass)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class Option:
    """One typed pass option. Passes declare options as annotated class attributes,

        max_depth: int = option(8, "rounds of inlining")

    and find their values in `self.max_depth`; the pipeline name is `max-depth`."""

    def __init__(self, name: str | None, type: OptionType | None, default: Any, help: str = "",
                 choices: Sequence[str] | None = None) -> None:
        self.name = name          # pipeline name (kebab case); None: from the attribute name
        self.type = type          # int, float, bool, str, "list[str]", "list[int]"
        self.default = default
        self.help = help
        self.choices = choices
        self._attr: str | None = None

    def __set_name__(self, owner: type, attr: str) -> None:
        self._attr = attr
        if self.name is None:
            self.name = attr.replace("_", "-")

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        # On the class: the declaration itself; an instance keeps its value in its __dict__.
        return self if obj is None else self.default

    @property
    def attr(self) -> str:
        """The attribute that holds the value on a pass instance."""
        return self._attr or str(self.name).replace("-", "_")

    @property
    def type_name(self) -> str:
        return self.type if isinstance(self.type, str) else getattr(self.type, "__name__", "?")

    def _resolve(self, cls: type, annotation: object) -> None:
        """Take the type from the class annotation and check the default against it."""
        where = f"option '{self.name}' of pass class {cls.__name__}"
        if annotation is None:
            raise TypeError(f"{where} needs a type annotation ({self.attr}: int = option(...))")
        key = annotation if isinstance(annotation, str) else \
            getattr(annotation, "__name__", "") if isinstance(annotation, type) and \
            not hasattr(annotation, "__origin__") else str(annotation)
        key = str(key).replace(" ", "")
        if key not in _OPTION_TYPES:
            raise TypeError(f"{where}: unsupported type '{key}' (use {', '.join(_OPTION_TYPES)})")
        self.type = _OPTION_TYPES[key]
        if not _value_has_type(self.default, self.type):
            raise TypeError(f"{where}: default {self.default!r} is not a {key}")
        if self.choices is not None:
            if self.type is not str:
                raise TypeError(f"{where}: choices need a str option")
            self.choices = tuple(self.choices)
            if self.default not in self.choices:
                raise TypeError(f"{where}: default {self.default!r} is not one of its choices")

    def parse(self, text: str, pass_name: str) -> Any:
        def bad(what: str) -> PipelineError:
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

    def format(self, value: Any) -> str:
        if self.type is bool:
            return "true" if value else "false"
        if self.type in ("list[str]", "list[int]"):
            return ",".join(str(v) for v in value)
        s = str(value)
        return f"'{s}'" if any(c in s for c in " ,{}") or s == "" else s


def option(default: _T, help: str = "", *, choices: Sequence[str] | None = None,
           name: str | None = None) -> _T:
    """Declare a typed pass option (as xDSL's pipeline options): `depth: int = option(8, "help")`.

    The type comes from the annotation (int, float, bool, str, list[str], list[int]); the
    pipeline name is the attribute's name in kebab case unless `name` is given; `choices`
    restricts a str option. A list default is copied for every pass instance."""
    return cast(_T, Option(name, None, default, help, choices))


def _value_has_type(value: object, t: OptionType | None) -> bool:
    if t is bool:
        return isinstance(value, bool)
    if t is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if t is float:
        return isinstance(value, float)
    if t is str:
        return isinstance(value, str)
    if t in ("list[str]", "list[int]"):
        elem = str if t == "list[str]" else int
        return isinstance(value, list) and all(isinstance(v, elem) and not isinstance(v, bool) for v in value)
    return False


class Statistic(NamedTuple):
    """A counter a pass declares: `statistics = {"num-erased": "Number of ops erased"}`."""
    name: str
    description: str


class Statistics(dict[str, int]):
    """A pass's counters: every declared statistic starts at 0; setting one that the pass
    did not declare raises UndeclaredStatisticError."""

    def __init__(self, owner: str, declared: Iterable[Statistic]) -> None:
        super().__init__((s.name, 0) for s in declared)
        self._owner = owner

    def __setitem__(self, key: str, value: int) -> None:
        if key not in self:
            raise UndeclaredStatisticError(
                f"pass '{self._owner}' counts undeclared statistic '{key}' (declared: "
                f"{', '.join(self) or 'none'}); add it to the class's `statistics`")
        super().__setitem__(key, value)


def _normalize_statistics(cls: type, decl: object) -> tuple[Statistic, ...]:
    items: Iterable[Any] = decl.items() if isinstance(decl, Mapping) else cast(Iterable[Any], decl)
    out: list[Statistic] = []
    for item in items:
        name, desc = item
        if not isinstance(name, str) or not isinstance(desc, str):
            raise TypeError(f"pass class {cls.__name__}: a statistic is (name, description), got {item!r}")
        if any(s.name == name for s in out):
            raise TypeError(f"pass class {cls.__name__} declares statistic '{name}' twice")
        out.append(Statistic(name, desc))
    return tuple(out)


class Pass:
    """Base of every pass. Subclasses set `name`, `title`, `summary`, declare options
    (`x: int = option(1, "help")`) and `statistics`, and implement `run(module)`."""

    name: ClassVar[str | None] = None
    title: ClassVar[str | None] = None
    summary: ClassVar[str] = ""
    description: ClassVar[str | None] = None   # long help; default: class or module docstring
    options: ClassVar[tuple[Option, ...]] = ()
    statistics: ClassVar[tuple[Statistic, ...]] = ()
    # A subclass of another pass inherits its options unless it sets this to False.
    inherit_options: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = [v for v in vars(cls).values() if isinstance(v, Option)]
        if "options" in vars(cls):  # the older declaration: options = (Option(...), ...)
            if own:
                raise TypeError(f"pass class {cls.__name__} declares options both ways")
            if not all(isinstance(o, Option) for o in cls.options):
                raise TypeError(f"pass class {cls.__name__}: options must be Option objects")
        else:
            annotations = vars(cls).get("__annotations__", {})
            for o in own:
                if o.attr in vars(Pass) or o.attr == "stats" or \
                        callable(getattr(super(cls, cls), o.attr, None)):
                    raise TypeError(f"pass class {cls.__name__}: option attribute '{o.attr}' "
                                    "shadows a Pass attribute")
                o._resolve(cls, annotations.get(o.attr))
            inherited = list(getattr(super(cls, cls), "options", ())) if vars(cls).get("inherit_options", True) else []
            names = {o.attr for o in own}
            cls.options = tuple([o for o in inherited if o.attr not in names] + own)
        if "statistics" in vars(cls):
            cls.statistics = _normalize_statistics(cls, vars(cls)["statistics"])

    def __init__(self, **values: Any) -> None:
        self.stats: Statistics = Statistics(str(self.name), self.statistics)
        known = {o.attr: o for o in self.options}
        for key in values:
            if key.replace("-", "_") not in known:
                raise PipelineError(f"pass '{self.name}' has no option '{key}'")
        for o in self.options:
            v = values.get(o.attr, values.get(str(o.name), o.default))
            setattr(self, o.attr, list(v) if isinstance(v, list) else v)

    def bump(self, stat: str, n: int = 1) -> None:
        """Add `n` to the declared statistic `stat` (an undeclared one raises)."""
        self.stats[stat] = self.stats.get(stat, 0) + n

    def run(self, module: Module) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def option_values(self) -> dict[str, Any]:
        return {str(o.name): getattr(self, o.attr) for o in self.options}

    def pipeline_text(self) -> str:
        """This pass with its non-default options, in `-p` syntax."""
        opts = [f"{o.name}={o.format(getattr(self, o.attr))}" for o in self.options
                if getattr(self, o.attr) != o.default]
        return str(self.name) + ("{" + " ".join(opts) + "}" if opts else "")

    @property
    def display(self) -> str:
        return self.title or str(self.name)

    @classmethod
    def long_description(cls) -> str:
        """The `description` attribute, else the class's own docstring, else its module's."""
        text = cls.description or vars(cls).get("__doc__") or \
            getattr(sys.modules.get(cls.__module__), "__doc__", None) or ""
        return inspect.cleandoc(text)


class FunctionPass(Pass):
    """A pass that works on one function at a time: `run_on_function(fn)` is called for every
    library function in module order (a snapshot: functions the pass adds are not visited),
    and for the main graph first when the class sets `runs_on_main_graph = True`.
    `initialize(module)` runs once before, for module-wide analyses."""

    runs_on_main_graph: ClassVar[bool] = False

    def initialize(self, module: Module) -> None:
        """Called once per run before the functions (e.g. to build a module-wide analysis)."""

    def functions(self, module: Module) -> Iterator[Function]:
        """The functions this pass visits, in order."""
        if self.runs_on_main_graph and module.graph is not None:
            yield module.graph
        for fn in list(module.functions.values()):
            if fn.module is module:  # removed by an earlier run_on_function: skip
                yield fn

    def run(self, module: Module) -> None:
        self.initialize(module)
        for fn in self.functions(module):
            self.run_on_function(fn)

    def run_on_function(self, fn: Function) -> None:  # pragma: no cover - interface
        raise NotImplementedError


_P = TypeVar("_P", bound=type[Pass])


def register(cls: _P) -> _P:
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    if cls.name in REGISTRY and REGISTRY[cls.name] is not cls:
        raise ValueError(f"pass name '{cls.name}' registered twice")
    REGISTRY[cls.name] = cls
    return cls


_loaded: bool = False


def load_all() -> dict[str, type[Pass]]:
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


def test_passes_enabled() -> bool:
    """The pass-manager test passes (`test-fail`, `test-crash`, `test-break-ir`) exist only for
    smopt's own tests (SMOPT_TEST_PASSES=1, set by lit and pytest), as MLIR's test passes live
    in mlir-opt and not in the product's libraries."""
    return os.environ.get("SMOPT_TEST_PASSES") == "1"


def _import(module_name: str) -> None:
    try:
        importlib.import_module(f"smopt.passes.{module_name}")
    except ImportError as e:
        raise PipelineError(f"pass module 'passes/{module_name}.py' failed to import: {e}") from None


def get(name: str) -> type[Pass]:
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


def _split_top(text: str, sep: str | None) -> list[str]:
    """Split on `sep` (None: runs of whitespace, empty pieces dropped) outside braces,
    parentheses and quotes."""
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    quote: str | None = None
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


def _unquote(s: str) -> str:
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    return s


def parse_pipeline(text: str) -> list[Pass]:
    """Parse pipeline text into a list of Pass instances (raises PipelineError)."""
    text = text.strip()
    if text.startswith("builtin.module(") and text.endswith(")"):
        text = text[len("builtin.module("):-1]
    if not text:
        return []
    out: list[Pass] = []
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
        known = {str(o.name): o for o in cls.options}
        values: dict[str, Any] = {}
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


def pipeline_text(pass_list: Iterable[Pass]) -> str:
    return ",".join(p.pipeline_text() for p in pass_list)


def describe_all(verbose: bool = False) -> str:
    """The text of `--list-passes`: every pass, its summary and options; with `verbose`
    (`--list-passes --verbose`) also each pass's long description and statistics."""
    load_all()
    lines = ["Available passes:"]
    for name in sorted(REGISTRY):
        cls = REGISTRY[name]
        lines.append(f"  {name:<28} - {cls.summary}")
        for o in cls.options:
            tname = "|".join(o.choices) if o.choices else o.type_name
            lines.append(f"      {o.name}=<{tname}> (default {o.format(o.default)}) - {o.help}")
        if verbose:
            for s in cls.statistics:
                lines.append(f"      (S) {s.name} - {s.description}")
            text = cls.long_description()
            if text:
                lines.append("")
                lines.extend(("      " + line).rstrip() for line in text.splitlines())
                lines.append("")
    return "\n".join(lines) + "\n"
