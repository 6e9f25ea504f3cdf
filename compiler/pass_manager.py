"""The pass manager and its instrumentation hooks (mlir-opt semantics and header style).

    // -----// IR Dump After CSE (cse) //----- //

`PassManager.run` runs the passes and calls `PassInstrumentation` hooks around each one
(`before_pipeline`, `before_pass`, `after_pass`, `after_failed`, `after_pipeline`), as MLIR's
PassInstrumentation. Each instrumentation flag is one small hook class:

    PrintIRBefore        --print-ir-before=PASSES, --print-ir-before-all
    PrintIRAfter         --print-ir-after=PASSES, --print-ir-after-all
    PrintIRAfterChange   --print-ir-after-change (narrows the two above)
    PrintIRAfterFailure  --print-ir-after-failure
    PrintChanged         --print-changed[=quiet|diff|diff-quiet] (LLVM's -print-changed)
    PassTiming           --timing (per-pass wall-time table)
    PassStatistics       --pass-statistics
    VerifyEach           verification after every pass (unless --no-verify-each)
    CrashReproducer      --reproducer FILE (the IR before the failing pass + the rest of the
                         pipeline, replayable with `smopt FILE --run-reproducer`)
    Progress             `[i/N] pass` lines for large models

Dumps go through `Dumps`: to stderr (`StreamSink`) or numbered files (`TreeDirSink`,
--print-ir-tree-dir), with elided constants and operand lists (--elide-constants-larger-than,
--elide-operands-larger-than) and, with --print-ir-function=REGEX, only the matching
functions. `Instrumentation` holds the flags' values and builds the hooks for one run.
Change detection compares structural fingerprints (`smopt.ir.fingerprint`), taken at most once
per module state, instead of printing the module before every pass.
"""
from __future__ import annotations

import contextlib
import difflib
import io
import os
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from smopt.ir import print_module, verify
from smopt.ir.fingerprint import ModuleFingerprint, module_fingerprint
from smopt.ir.verifier import VerificationError
from smopt.passes.framework.registry import Option, Pass, PassError, pipeline_text

from smopt.compiler.errors import PassFailure, SmoptError
from smopt.compiler.model_io import check_output_dir, check_output_file, os_error

if TYPE_CHECKING:
    from smopt.ir.core import Module

REPRODUCER_TAG = "// configuration: -p "
# Pass options that name a file the pass writes ('-' and '' mean stderr / none).
OUTPUT_OPTIONS = ("output", "json", "report")
# --print-changed modes (LLVM's -print-changed): the IR after each pass that changed it, in
# full or as a unified diff; the quiet forms leave out the input and the "no change" lines.
PRINT_CHANGED_MODES = ("full", "quiet", "diff", "diff-quiet")


@dataclass
class Instrumentation:
    """The instrumentation flags' values; `instrumentations(pm)` turns them into hooks."""
    print_before: set[str] = field(default_factory=set)
    print_after: set[str] = field(default_factory=set)
    print_before_all: bool = False
    print_after_all: bool = False
    print_after_change: bool = False
    print_after_failure: bool = False
    print_changed: str | None = None          # one of PRINT_CHANGED_MODES
    function_filter: str | None = None        # --print-ir-function: regex on function names
    tree_dir: str | None = None
    timing: bool = False
    statistics: bool = False
    verify_each: bool = True
    reproducer: str | None = None
    elide: int | None = None
    elide_operands: int | None = None
    progress: bool = False
    stream: TextIO | None = None

    @property
    def out(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stderr

    def check_paths(self, tree_dir_flag: str = "--print-ir-tree-dir") -> None:
        """Before any work: the dump directory and the reproducer file can be written, the
        function filter is a regular expression and the --print-changed mode is known."""
        if self.tree_dir:
            check_output_dir(self.tree_dir, tree_dir_flag)
        if self.reproducer:
            check_output_file(self.reproducer, "--reproducer")
        self.function_predicate()
        if self.print_changed is not None and self.print_changed not in PRINT_CHANGED_MODES:
            raise SmoptError(f"--print-changed: unknown mode '{self.print_changed}' (expected "
                             f"{', '.join(PRINT_CHANGED_MODES)})")

    def function_predicate(self) -> Callable[[str], bool] | None:
        """--print-ir-function as a predicate on function names (re.search), or None."""
        if self.function_filter is None:
            return None
        try:
            return re.compile(self.function_filter).search  # type: ignore[return-value]
        except re.error as e:
            raise SmoptError(f"--print-ir-function: invalid regular expression "
                             f"'{self.function_filter}': {e}") from None

    def instrumentations(self, pm: PassManager) -> list[PassInstrumentation]:
        """The hooks these flags ask for, in calling order: before_pass hooks run first to
        last, after_pass and after_failed hooks last to first (as MLIR's)."""
        dumps = Dumps(TreeDirSink(self.tree_dir) if self.tree_dir else StreamSink(self),
                      StreamSink(self), self.elide, self.function_predicate(), self.elide_operands)
        hooks: list[PassInstrumentation] = []
        if self.reproducer:
            hooks.append(CrashReproducer(self.reproducer, pm, self.verify_each))
        if self.print_before_all or self.print_before:
            hooks.append(PrintIRBefore(dumps, None if self.print_before_all else self.print_before))
        if self.print_changed is not None:
            hooks.append(PrintChanged(dumps, pm.tracker, self.print_changed))
        after = None if self.print_after_all else self.print_after
        if self.print_after_change:
            # mlir-opt: it narrows --print-ir-after(-all); alone it means after every pass.
            hooks.append(PrintIRAfterChange(dumps, pm.tracker, after or None))
        elif self.print_after_all or self.print_after:
            hooks.append(PrintIRAfter(dumps, after))
        if self.print_after_failure:
            hooks.append(PrintIRAfterFailure(dumps))
        if self.progress:
            hooks.append(Progress(self.out, pm))
        if self.statistics:
            hooks.append(PassStatistics())
        if self.verify_each:
            hooks.append(VerifyEach(pm))
        if self.timing:  # last: its before_pass runs last and its after hooks first
            hooks.append(PassTiming(pm))
        return hooks


@dataclass
class FailureInfo:
    """Why a pass failed, handed to `after_failed` hooks (which may add to it)."""
    message: str
    crash: str | None = None          # the traceback of a crash, for --debug
    reproducer: str | None = None     # the reproducer file written for it


class PassRejected(Exception):
    """Raised by an `after_pass` hook to turn the pass's success into a failure (the
    verifier does); the message says why."""


class PassInstrumentation:
    """Hooks the pass manager calls around the passes it runs (MLIR's PassInstrumentation).

    before_pass runs in registration order, after_pass and after_failed in reverse order. An
    after_pass hook may raise PassRejected to fail the pass; the after_failed hooks then run
    for it. after_pipeline runs only when every pass succeeded."""

    def before_pipeline(self, pm: PassManager, module: Module) -> None:
        """Before the first pass."""

    def before_pass(self, p: Pass, module: Module) -> None:
        """Before `p` runs."""

    def after_pass(self, p: Pass, module: Module) -> None:
        """After `p` succeeded."""

    def after_failed(self, p: Pass, module: Module, failure: FailureInfo) -> None:
        """After `p` failed (reported an error, crashed or was rejected by an after_pass hook)."""

    def after_pipeline(self, pm: PassManager, module: Module) -> None:
        """After the last pass, when all succeeded."""


# ---- change detection ----------------------------------------------------------------------
class ChangeTracker:
    """The module's structural fingerprint, computed at most once per module state: hooks
    that want to know whether a pass changed the module call `current()` before it (free
    when the previous pass's result was fingerprinted already) and `changed()` after it."""

    def __init__(self) -> None:
        self._now: ModuleFingerprint | None = None
        self._before: ModuleFingerprint | None = None

    def reset(self) -> None:
        self._now = self._before = None

    def current(self, module: Module) -> ModuleFingerprint:
        if self._now is None:
            self._now = module_fingerprint(module)
        return self._now

    def pass_starting(self) -> None:
        """The pass manager is about to run a pass: the current fingerprint becomes `before`."""
        self._before, self._now = self._now, None

    def changed(self, module: Module, select: Callable[[str], bool] | None = None) -> bool:
        """Whether the pass that just ran changed the module (the part `select` keeps); True
        when nobody took the fingerprint before it."""
        if self._before is None:
            return True
        return self._before.view(select) != self.current(module).view(select)


# ---- where dumps go ------------------------------------------------------------------------
class StreamSink:
    """Dumps on a stream (stderr unless the Instrumentation names another), each followed
    by an empty line."""

    def __init__(self, inst: Instrumentation) -> None:
        self.inst = inst

    def write(self, tag: str, p: Pass | None, text: str, suffix: str = ".mlir") -> None:
        out = self.inst.out
        out.write(text + "\n")
        out.flush()


class TreeDirSink:
    """--print-ir-tree-dir: each dump in its own numbered file, `NN_<when>_<pass>.mlir`."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.seq = 0

    def write(self, tag: str, p: Pass | None, text: str, suffix: str = ".mlir") -> None:
        os.makedirs(self.directory, exist_ok=True)
        self.seq += 1
        name = f"{self.seq:02d}_{tag}" + (f"_{p.name}" if p is not None else "") + suffix
        path = os.path.join(self.directory, name)
        try:
            with open(path, "w") as f:
                f.write(text)
        except OSError as e:
            raise os_error(e, path) from None


class Dumps:
    """How the printing hooks print: the sink, elided constants and operand lists, the
    function filter."""

    def __init__(self, sink: StreamSink | TreeDirSink, stream: StreamSink, elide: int | None,
                 select: Callable[[str], bool] | None, elide_operands: int | None = None) -> None:
        self.sink = sink          # dumps of the IR (a tree directory when one is given)
        self.stream = stream      # failure dumps and one-line notes always go to the stream
        self.elide = elide
        self.elide_operands = elide_operands   # --elide-operands-larger-than
        self.select = select      # --print-ir-function

    def text(self, module: Module) -> str:
        return print_module(module, self.elide, self.elide_operands, function_filter=self.select)

    @staticmethod
    def header(what: str) -> str:
        """`// -----// IR Dump <what> //----- //` and a newline."""
        return f"// -----// IR Dump {what} //----- //\n"

    def dump(self, when: str, p: Pass, module: Module) -> None:
        """`IR Dump <when> <Title> (<name>)` and the module (what --print-ir-function keeps)."""
        self.sink.write(when.lower(), p, self.header(f"{when} {p.display} ({p.name})") + self.text(module))


# ---- the hooks -----------------------------------------------------------------------------
class PrintIRBefore(PassInstrumentation):
    """--print-ir-before=PASSES / --print-ir-before-all (`select` None: every pass)."""

    def __init__(self, dumps: Dumps, select: Iterable[str] | None = None) -> None:
        self.dumps = dumps
        self.select = None if select is None else set(select)

    def wants(self, p: Pass) -> bool:
        return self.select is None or p.name in self.select

    def before_pass(self, p: Pass, module: Module) -> None:
        if self.wants(p):
            self.dumps.dump("Before", p, module)


class PrintIRAfter(PrintIRBefore):
    """--print-ir-after=PASSES / --print-ir-after-all."""

    def before_pass(self, p: Pass, module: Module) -> None:
        pass

    def after_pass(self, p: Pass, module: Module) -> None:
        if self.wants(p):
            self.dumps.dump("After", p, module)


class PrintIRAfterChange(PrintIRAfter):
    """--print-ir-after-change: as PrintIRAfter, but only after passes that changed the IR
    (the dumped part of it, with --print-ir-function)."""

    def __init__(self, dumps: Dumps, tracker: ChangeTracker, select: Iterable[str] | None = None) -> None:
        super().__init__(dumps, select)
        self.tracker = tracker

    def before_pass(self, p: Pass, module: Module) -> None:
        if self.wants(p):
            self.tracker.current(module)

    def after_pass(self, p: Pass, module: Module) -> None:
        if self.wants(p) and self.tracker.changed(module, self.dumps.select):
            self.dumps.dump("After", p, module)


class PrintIRAfterFailure(PassInstrumentation):
    """--print-ir-after-failure: the IR as the failed pass left it (on the stream)."""

    def __init__(self, dumps: Dumps) -> None:
        self.dumps = dumps

    def after_failed(self, p: Pass, module: Module, failure: FailureInfo) -> None:
        try:
            text = self.dumps.text(module)
        except Exception:  # the IR may be too broken to print; the failure still counts
            return
        self.dumps.stream.write("after_failed", p,
                                self.dumps.header(f"After {p.display} Failed ({p.name})") + text)


class PrintChanged(PassInstrumentation):
    """--print-changed[=MODE] (LLVM's -print-changed): the input IR once, then after each pass
    the IR if the pass changed it (`full`) or a unified diff of the change (`diff`), and a
    one-line note for a pass that changed nothing; `quiet` and `diff-quiet` print only the
    changes. With --print-ir-function a change counts only in the selected functions."""

    def __init__(self, dumps: Dumps, tracker: ChangeTracker, mode: str = "full") -> None:
        self.dumps = dumps
        self.tracker = tracker
        self.diff = mode.startswith("diff")
        self.quiet = mode.endswith("quiet")
        self.last = ""

    def before_pipeline(self, pm: PassManager, module: Module) -> None:
        self.last = self.dumps.text(module)
        if not self.quiet:
            self.dumps.sink.write("start", None, self.dumps.header("At Start") + self.last)

    def before_pass(self, p: Pass, module: Module) -> None:
        self.tracker.current(module)

    def after_pass(self, p: Pass, module: Module) -> None:
        if not self.tracker.changed(module, self.dumps.select):
            if not self.quiet:
                note = self.dumps.header(f"After {p.display} ({p.name}) omitted because no change")
                self.dumps.stream.write("after", p, note.rstrip("\n"))
            return
        text = self.dumps.text(module)
        header = self.dumps.header(f"After {p.display} ({p.name})")
        if self.diff:
            lines = list(difflib.unified_diff(self.last.splitlines(), text.splitlines(),
                                              "before", "after", lineterm=""))
            if not lines:   # the fingerprints differ, the printed text does not: elision
                lines = ["// changed only where the text is elided (--elide-operands-larger-than, "
                         "--elide-constants-larger-than)"]
            self.dumps.sink.write("after", p, header + "\n".join(lines) + "\n", ".diff")
        else:
            self.dumps.sink.write("after", p, header + text)
        self.last = text


class Progress(PassInstrumentation):
    """`[i/N] pass` on the stream before each pass (large models)."""

    def __init__(self, out: TextIO, pm: PassManager) -> None:
        self.out = out
        self.pm = pm

    def before_pass(self, p: Pass, module: Module) -> None:
        self.out.write(f"[{self.pm.index + 1}/{len(self.pm.passes)}] {p.name}\n")
        self.out.flush()


class VerifyEach(PassInstrumentation):
    """Verify the module after every pass; a module that does not verify fails the pass."""

    def __init__(self, pm: PassManager) -> None:
        self.pm = pm

    def after_pass(self, p: Pass, module: Module) -> None:
        t1 = time.perf_counter()
        try:
            verify(module)
        except VerificationError as e:
            raise PassRejected(f"the IR does not verify after it: {e}") from None
        finally:
            self.pm.timings.append(("(verifier)", time.perf_counter() - t1))


class PassTiming(PassInstrumentation):
    """--timing: each pass's wall time (its verification apart), into the manager's
    timings; `PassManager.timing_report()` prints them with the times the tool recorded."""

    def __init__(self, pm: PassManager) -> None:
        self.pm = pm
        self._t0: float | None = None

    def before_pass(self, p: Pass, module: Module) -> None:
        self._t0 = time.perf_counter()

    def _stop(self, p: Pass) -> None:
        if self._t0 is not None:
            self.pm.timings.append((p.display, time.perf_counter() - self._t0))
            self._t0 = None

    def after_pass(self, p: Pass, module: Module) -> None:
        self._stop(p)

    def after_failed(self, p: Pass, module: Module, failure: FailureInfo) -> None:
        self._stop(p)

    @staticmethod
    def report(timings: Sequence[tuple[str, float]]) -> str:
        total = sum(s for _, s in timings) or 1e-12
        merged: dict[str, float] = {}
        for label, s in timings:
            merged[label] = merged.get(label, 0.0) + s
        bar = "===" + "-" * 73 + "==="
        lines = [bar, "                         ... Execution time report ...", bar,
                 f"  Total Execution Time: {total:.4f} seconds", "",
                 "  ----Wall Time----  ----Name----"]
        for label, s in merged.items():
            lines.append(f"  {s:8.4f} ({100 * s / total:5.1f}%)  {label}")
        lines.append(f"  {total:8.4f} (100.0%)  Total")
        return "\n".join(lines) + "\n"


class PassStatistics(PassInstrumentation):
    """--pass-statistics: the passes that ran, for `report()` (their declared counters)."""

    def __init__(self) -> None:
        self.ran: list[Pass] = []

    def after_pass(self, p: Pass, module: Module) -> None:
        self.ran.append(p)

    @staticmethod
    def report(passes: Iterable[Pass]) -> str:
        bar = "===" + "-" * 73 + "==="
        lines = [bar, "                         ... Pass statistics report ...", bar]
        for p in passes:
            lines.append(f"{p.display} ({p.name})")
            for name, desc in p.statistics:
                lines.append(f"  (S) {p.stats.get(name, 0)} {name} - {desc}")
        return "\n".join(lines) + "\n"


class CrashReproducer(PassInstrumentation):
    """--reproducer FILE: when a pass fails, FILE gets the IR from before it and the rest of
    the pipeline (`smopt FILE --run-reproducer` replays it). The IR is printed before a pass
    only when the module changed since it was last printed."""

    def __init__(self, path: str, pm: PassManager, verify_each: bool = True) -> None:
        self.path = path
        self.pm = pm
        self.verify_each = verify_each
        self._text: str | None = None
        self._fingerprint: ModuleFingerprint | None = None

    def before_pass(self, p: Pass, module: Module) -> None:
        fp = self.pm.tracker.current(module)
        if self._text is None or fp != self._fingerprint:
            self._text, self._fingerprint = print_module(module), fp

    def after_failed(self, p: Pass, module: Module, failure: FailureInfo) -> None:
        rest = pipeline_text(self.pm.passes[self.pm.index:])
        flags = "" if self.verify_each else " --no-verify-each"
        try:
            with open(self.path, "w") as f:
                f.write(f"// smopt reproducer: pass '{p.name}' failed: {failure.message.splitlines()[0]}\n")
                f.write(f"{REPRODUCER_TAG}'{rest}'{flags}\n")
                f.write(self._text or "")
            failure.reproducer = self.path
        except OSError as e:
            failure.message += f" (the reproducer '{self.path}' could not be written: {e.strerror})"


def _file_outputs(p: Pass) -> list[tuple[Option, str]]:
    """[(option, path)] for the regular files pass `p` is told to write."""
    out = []
    for o in p.options:
        if o.name in OUTPUT_OPTIONS and o.type is str:
            v = getattr(p, o.attr)
            if v and v != "-" and not (os.path.exists(v) and not os.path.isfile(v)):
                out.append((o, v))
    return out


class PassManager:
    """Runs passes on a module, calling the instrumentation hooks around each: those the
    `Instrumentation` flags ask for, then `instrumentations` (more PassInstrumentation objects)."""

    def __init__(self, passes: Iterable[Pass], inst: Instrumentation | None = None,
                 instrumentations: Iterable[PassInstrumentation] = ()) -> None:
        self.passes = list(passes)
        self.inst = inst or Instrumentation()
        self.extra = list(instrumentations)
        self.hooks: list[PassInstrumentation] = []   # those of the latest run
        self.tracker = ChangeTracker()
        self.index = 0                                # the pass running now
        self.timings: list[tuple[str, float]] = []   # (label, seconds)
        # Files that passes wrote through `output=`-style options go to temporaries beside
        # their destination and are published only when everything succeeded (publish_outputs),
        # so a failure leaves no report behind. defer_outputs: the caller publishes (after its
        # own output is written); otherwise run() does at its end.
        # The same holds for what passes write to stderr (reports): with defer_outputs it
        # is held until publish_outputs, so a failed run prints its one error line only.
        self.defer_outputs = False
        self._staged: list[tuple[str, str]] = []   # (temporary, destination)
        self._stderr: list[str] = []               # text passes wrote to stderr, held back

    def add_instrumentation(self, hook: PassInstrumentation) -> None:
        self.extra.append(hook)

    def record(self, label: str, seconds: float) -> None:
        """Time spent outside passes (parsing, import, output), shown in the timing report."""
        self.timings.append((label, seconds))

    # ---- running -----------------------------------------------------------------------
    def run(self, module: Module) -> Module:
        try:
            self._run(module)
            if not self.defer_outputs:
                self.publish_outputs()
        except BaseException:
            self.discard_outputs()
            raise
        return module

    def publish_outputs(self) -> None:
        """Move the files passes wrote into place (see defer_outputs)."""
        staged, self._staged = self._staged, []
        for tmp, dest in staged:
            try:
                os.replace(tmp, dest)
            except OSError as e:
                for t, _ in staged:
                    if os.path.exists(t):
                        os.unlink(t)
                self._stderr = []
                raise os_error(e, dest) from None
        held, self._stderr = self._stderr, []
        if held:
            sys.stderr.write("".join(held))
            sys.stderr.flush()

    def discard_outputs(self) -> None:
        self._stderr = []
        staged, self._staged = self._staged, []
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def _run_pass(self, p: Pass, module: Module) -> None:
        """p.run(module) with its file outputs redirected to temporaries (see defer_outputs)."""
        redirected = []
        for o, dest in _file_outputs(p):
            parent = os.path.dirname(os.path.abspath(dest))
            if not os.path.isdir(parent) or os.path.isdir(dest):
                continue  # the pass reports that it cannot write there, in its own words
            try:
                fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(dest) + ".smopt-", dir=parent)
            except OSError:
                continue
            os.close(fd)
            os.unlink(tmp)  # a pass that writes nothing this time publishes nothing
            redirected.append((o, dest, tmp))
            setattr(p, o.attr, tmp)
        held = io.StringIO() if self.defer_outputs else None
        try:
            if held is None:
                p.run(module)
            else:
                with contextlib.redirect_stderr(held):
                    p.run(module)
        finally:
            if held is not None and held.getvalue():
                self._stderr.append(held.getvalue())
            for o, dest, tmp in redirected:
                setattr(p, o.attr, dest)
                if os.path.exists(tmp):
                    self._staged.append((tmp, dest))

    def _execute(self, p: Pass, module: Module) -> FailureInfo | None:
        """Run one pass; its failure (an error it reports, or a crash) as a FailureInfo."""
        try:
            self._run_pass(p, module)
        except (PassError, SmoptError) as e:
            return FailureInfo(str(e))
        except OSError as e:  # a file the pass reads or writes: the environment, not a crash
            where = f" '{e.filename}'" if e.filename else ""
            return FailureInfo(f"cannot access{where}: {e.strerror or type(e).__name__}",
                               traceback.format_exc())
        except Exception as e:  # a crash inside a pass: report it, with the pass name
            msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
            return FailureInfo(f"crashed with {type(e).__name__}" + (f": {msg}" if msg else ""),
                               traceback.format_exc())  # the traceback for --debug
        return None

    def _run(self, module: Module) -> Module:
        hooks = self.hooks = self.inst.instrumentations(self) + self.extra
        self.tracker.reset()
        for h in hooks:
            h.before_pipeline(self, module)
        for i, p in enumerate(self.passes):
            self.index = i
            for h in hooks:
                h.before_pass(p, module)
            self.tracker.pass_starting()
            failure = self._execute(p, module)
            if failure is None:
                try:
                    for h in reversed(hooks):
                        h.after_pass(p, module)
                except PassRejected as e:
                    failure = FailureInfo(str(e))
            if failure is not None:
                for h in reversed(hooks):
                    h.after_failed(p, module, failure)
                raise PassFailure(p.name, failure.message, failure.reproducer, failure.crash)
        for h in reversed(hooks):
            h.after_pipeline(self, module)
        return module

    # ---- reports -----------------------------------------------------------------------
    def timing_report(self) -> str:
        return PassTiming.report(self.timings)

    def statistics_report(self) -> str:
        stats = next((h for h in self.hooks if isinstance(h, PassStatistics)), None)
        return PassStatistics.report(stats.ran if stats is not None else self.passes)


def read_reproducer(text, name="<input>"):
    """The (pipeline, verify_each) recorded in a reproducer file, or None if it is not one."""
    import shlex
    for lineno, line in enumerate(text.splitlines()[:5], 1):
        if line.startswith(REPRODUCER_TAG):
            try:
                args = shlex.split(line[len("// configuration: "):])
            except ValueError as e:
                raise SmoptError(f"{name}:{lineno}: malformed '// configuration:' line: {e}") from None
            pipeline = args[args.index("-p") + 1] if "-p" in args[:-1] else ""
            return pipeline, "--no-verify-each" not in args
    return None
