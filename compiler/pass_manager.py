"""The pass manager and its instrumentation (mlir-opt semantics and header style).

    // -----// IR Dump After CSE (cse) //----- //

Instrumentation: print IR before/after selected or all passes, only after a change, after a
failure, into a tree of numbered files; per-pass wall-time table; pass statistics; verify
after each pass; a crash reproducer holding the IR before the failing pass and the pipeline
from there, replayable with `smopt FILE --run-reproducer`.
"""
from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field

from smopt.ir import print_module, verify
from smopt.ir.verifier import VerificationError
from smopt.passes.framework.registry import PassError, pipeline_text

from smopt.compiler.errors import PassFailure, SmoptError
from smopt.compiler.model_io import check_output_dir, check_output_file, os_error

REPRODUCER_TAG = "// configuration: -p "
# Pass options that name a file the pass writes ('-' and '' mean stderr / none).
OUTPUT_OPTIONS = ("output", "json", "report")


@dataclass
class Instrumentation:
    print_before: set = field(default_factory=set)
    print_after: set = field(default_factory=set)
    print_before_all: bool = False
    print_after_all: bool = False
    print_after_change: bool = False
    print_after_failure: bool = False
    tree_dir: str | None = None
    timing: bool = False
    statistics: bool = False
    verify_each: bool = True
    reproducer: str | None = None
    elide: int | None = None
    elide_operands: int | None = None
    progress: bool = False
    stream: object = None

    @property
    def out(self):
        return self.stream if self.stream is not None else sys.stderr

    def check_paths(self, tree_dir_flag="--print-ir-tree-dir"):
        """Before any work: the dump directory and the reproducer file can be written."""
        if self.tree_dir:
            check_output_dir(self.tree_dir, tree_dir_flag)
        if self.reproducer:
            check_output_file(self.reproducer, "--reproducer")


def _file_outputs(p):
    """[(option, path)] for the regular files pass `p` is told to write."""
    out = []
    for o in p.options:
        if o.name in OUTPUT_OPTIONS and o.type is str:
            v = getattr(p, o.attr)
            if v and v != "-" and not (os.path.exists(v) and not os.path.isfile(v)):
                out.append((o, v))
    return out


class PassManager:
    def __init__(self, passes, inst=None):
        self.passes = list(passes)
        self.inst = inst or Instrumentation()
        self.timings = []         # (label, seconds)
        self._dump_seq = 0
        # Files that passes wrote through `output=`-style options go to temporaries beside
        # their destination and are published only when everything succeeded (publish_outputs),
        # so a failure leaves no report behind. defer_outputs: the caller publishes (after its
        # own output is written); otherwise run() does at its end.
        # The same holds for what passes write to stderr (reports): with defer_outputs it
        # is held until publish_outputs, so a failed run prints its one error line only.
        self.defer_outputs = False
        self._staged = []         # (temporary, destination)
        self._stderr = []         # text passes wrote to stderr, held back

    def record(self, label, seconds):
        """Time spent outside passes (parsing, import, output), shown in the timing report."""
        self.timings.append((label, seconds))

    # ---- dumps -------------------------------------------------------------------------
    def _dump(self, when, p, module, text=None):
        inst = self.inst
        if text is None:
            text = print_module(module, inst.elide, inst.elide_operands)
        header = f"// -----// IR Dump {when} {p.display} ({p.name}) //----- //\n"
        if inst.tree_dir:
            os.makedirs(inst.tree_dir, exist_ok=True)
            self._dump_seq += 1
            tag = when.lower().replace(" ", "_")
            path = os.path.join(inst.tree_dir, f"{self._dump_seq:02d}_{tag}_{p.name}.mlir")
            try:
                with open(path, "w") as f:
                    f.write(header + text)
            except OSError as e:
                raise os_error(e, path) from None
        else:
            inst.out.write(header + text + "\n")
            inst.out.flush()

    def _wants(self, flag_all, names, p):
        return flag_all or p.name in names

    # ---- running -----------------------------------------------------------------------
    def run(self, module):
        try:
            self._run(module)
            if not self.defer_outputs:
                self.publish_outputs()
        except BaseException:
            self.discard_outputs()
            raise
        return module

    def publish_outputs(self):
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

    def discard_outputs(self):
        self._stderr = []
        staged, self._staged = self._staged, []
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def _run_pass(self, p, module):
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

    def _run(self, module):
        inst = self.inst
        total = len(self.passes)
        for i, p in enumerate(self.passes):
            need_text = inst.reproducer or inst.print_after_change
            before = print_module(module) if need_text else None
            if self._wants(inst.print_before_all, inst.print_before, p):
                self._dump("Before", p, module)
            if inst.progress:
                inst.out.write(f"[{i + 1}/{total}] {p.name}\n")
                inst.out.flush()
            t0 = time.perf_counter()
            error = crash = None
            try:
                self._run_pass(p, module)
            except (PassError, SmoptError) as e:
                error = str(e)
            except OSError as e:  # a file the pass reads or writes: the environment, not a crash
                where = f" '{e.filename}'" if e.filename else ""
                error = f"cannot access{where}: {e.strerror or type(e).__name__}"
                crash = traceback.format_exc()
            except Exception as e:  # a crash inside a pass: report it, with the pass name
                msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
                error = f"crashed with {type(e).__name__}" + (f": {msg}" if msg else "")
                crash = traceback.format_exc()  # for --debug
            self.timings.append((p.display, time.perf_counter() - t0))
            if error is None and inst.verify_each:
                t1 = time.perf_counter()
                try:
                    verify(module)
                except VerificationError as e:
                    error = f"the IR does not verify after it: {e}"
                self.timings.append(("(verifier)", time.perf_counter() - t1))
            if error is not None:
                self._fail(p, i, module, before, error, crash)
            if inst.print_after_change:
                if print_module(module) != before:
                    self._dump("After", p, module)
            elif self._wants(inst.print_after_all, inst.print_after, p):
                self._dump("After", p, module)
        return module

    def _fail(self, p, index, module, before, error, crash=None):
        inst = self.inst
        if inst.print_after_failure:
            try:
                self._dump_failed(p, module)
            except Exception:  # the IR may be too broken to print; the failure still counts
                pass
        repro = None
        if inst.reproducer:
            rest = pipeline_text(self.passes[index:])
            flags = "" if inst.verify_each else " --no-verify-each"
            try:
                with open(inst.reproducer, "w") as f:
                    f.write(f"// smopt reproducer: pass '{p.name}' failed: {error.splitlines()[0]}\n")
                    f.write(f"{REPRODUCER_TAG}'{rest}'{flags}\n")
                    f.write(before)
                repro = inst.reproducer
            except OSError as e:
                error += f" (the reproducer '{inst.reproducer}' could not be written: {e.strerror})"
        raise PassFailure(p.name, error, repro, crash)

    def _dump_failed(self, p, module):
        text = print_module(module, self.inst.elide, self.inst.elide_operands)
        header = f"// -----// IR Dump After {p.display} Failed ({p.name}) //----- //\n"
        self.inst.out.write(header + text + "\n")
        self.inst.out.flush()

    # ---- reports -----------------------------------------------------------------------
    def timing_report(self):
        total = sum(s for _, s in self.timings) or 1e-12
        merged = {}
        for label, s in self.timings:
            merged[label] = merged.get(label, 0.0) + s
        bar = "===" + "-" * 73 + "==="
        lines = [bar, "                         ... Execution time report ...", bar,
                 f"  Total Execution Time: {total:.4f} seconds", "",
                 "  ----Wall Time----  ----Name----"]
        for label, s in merged.items():
            lines.append(f"  {s:8.4f} ({100 * s / total:5.1f}%)  {label}")
        lines.append(f"  {total:8.4f} (100.0%)  Total")
        return "\n".join(lines) + "\n"

    def statistics_report(self):
        bar = "===" + "-" * 73 + "==="
        lines = [bar, "                         ... Pass statistics report ...", bar]
        for p in self.passes:
            lines.append(f"{p.display} ({p.name})")
            for name, desc in p.statistics:
                lines.append(f"  (S) {p.stats.get(name, 0)} {name} - {desc}")
        return "\n".join(lines) + "\n"


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
