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
