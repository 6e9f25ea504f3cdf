"""The fuzz test's quick seed (tests/fuzz/fuzz.py): no traceback, hang, noisy error, partial
output or modified input on any case. SMOPT_FUZZ_CASES / SMOPT_FUZZ_SEED run more or other
cases (or: python -m tests.fuzz.fuzz --seed S --cases N)."""
import os

from fuzz.fuzz import BAD, KINDS, fuzz


def test_fuzz_quick_seed(example_model):
    seed = int(os.environ.get("SMOPT_FUZZ_SEED", "15"))
    cases = int(os.environ.get("SMOPT_FUZZ_CASES", "1500"))
    counts, bad, crashes = fuzz(seed, cases, model_dir=example_model("alias"))
    lines = [f"case {i} ({case.kind}, {outcome}): {case.tool} {case.argv} {case.note!r}\n  "
             f"{err.strip().splitlines()[-1] if err.strip() else ''}" for i, case, outcome, err in bad]
    assert not bad, f"seed {seed}: {counts}\n" + "\n".join(lines[:20])
    assert set(counts) - set(BAD) >= {"accepted", "clean error"}, counts
    assert sum(counts.values()) == cases and len(KINDS) == 6


def test_stray_file_in_working_directory_is_bad(tmp_path):
    """The classifier sees what a run leaves in its working directory: a placement report to
    a relative path lands there (wanted when asked for, but the fuzzer never asks) and the
    case counts as `stray file`; the same run reporting to stderr is accepted."""
    from fuzz.fuzz import Case, run_case
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "lit_tests",
                       "passes", "cpu-gpu-placement", "tabular.mlir")

    class One:
        work = str(tmp_path)

        def __init__(self, report):
            self.report = report

        def case(self, index):
            return Case("pipeline", "smopt", [os.path.abspath(src), "-p", f"cpu-gpu-placement{{report={self.report}}}",
                                              "-o", str(tmp_path / "out.mlir")], inputs=[os.path.abspath(src)])

    assert run_case(One("placement.txt"), 0)[1] == "stray file"
    assert run_case(One("-"), 0)[1] == "accepted"
