"""Measuring SavedModels with TensorFlow: sample inputs, outputs, output error, latency, size.

What smopt-optimize's measured decisions (compiler/compression.py, compiler/precompilation.py)
and its warm-up file share.

Sample inputs (`sample_inputs`), per signature, as batches ({input key: numpy array}):
- `--sample_inputs FILE.npz`: arrays named like a signature's inputs, examples along the
  first axis; they feed every signature whose input keys are exactly the file's keys, in
  batches of up to `batch` examples (rank-0 arrays go to every batch);
- any other file: a TFRecord of `tensorflow.quantization.RepresentativeDataSample` (what
  TF's `TfRecordRepresentativeDatasetSaver` and the quantization pipeline read), one batch
  per record, for every signature whose input keys match the records';
- no file: generated from the signature's types: dynamic leading dimensions = `batch`, other
  dynamic dimensions = 8; floats standard normal, integers uniform in [0, 8) (valid token
  ids, class ids, counts), booleans uniform, strings from `SAMPLE_STRINGS`. A signature with
  an unknown-rank or other input (resource, variant) gets none.
`split` divides them into a search set and a held-out set: decisions are made on the first,
checked on the second.

Error (`output_error`): over every signature, batch and output, the largest of
max|new - ref| / max|ref| (float outputs; inf where NaNs appear or disappear, 0/0 = 0) and,
for other outputs (class ids, strings), the fraction of elements that differ.

Latency (`time_models`): the models run interleaved (order alternating per round), each
measurement averaging enough calls to last ~3 ms, 15 rounds per (signature, batch size).
Two estimates of a ratio between models (`ratios`): the median of the per-round ratios
(paired: load from other processes that comes and goes hits both) and the ratio of the
fastest rounds; a decision needs both to agree (`slowdown`, `speedup_ratio`).

`time_fresh` times each model alone in fresh Python processes (one model per process, as a
server runs it; `FRESH_ROUNDS` per model, round-robin): the final latency decisions use it,
since sub-millisecond models measure differently side by side in one process.

Large models (variables/ over `ONE_AT_A_TIME_BYTES`) are loaded one at a time: `Model.release`
drops a large model's TensorFlow state (it loads again when used) and `time_models` times
such models one after the other (two passes in opposite orders, half the rounds each)
instead of interleaved, so memory holds one copy of the weights (issue 15: peak RSS within
1.5x the variables + 500 MB; benchmarks/scale.py). The paired estimate then pairs rounds
of separate passes.

Size (`model_size`): saved_model.pb plus variables/, as the quantization benchmark counts it.
"""
from __future__ import annotations

import gc
import json
import math
import os
import pickle
import re
import subprocess
import sys
import time

import numpy as np

from smopt.ir import types as T

from smopt.compiler.errors import SmoptError

SAMPLE_STRINGS = (b"hello world", b"the quick brown fox jumps over the lazy dog", b"42", b"",
                  b"Optimized TensorFlow runtime", b"user_1234", b"de", b"nurse")
INT_HIGH = 8
OTHER_DIM = 8
ONE_AT_A_TIME_BYTES = 64 << 20
FRESH_ROUNDS = 3


# ---- sample inputs ------------------------------------------------------------------------
def _generable(ttype):
    if not isinstance(ttype, T.TensorType) or ttype.shape is None:
        return False
    dt = ttype.dtype
    return dt is T.string or dt is T.bool_ or (dt.np is not None and (dt.is_float or dt.is_integer))


def generate(signature, batch, seed=0):
    """{key: array} for `signature` (dynamic leading dim = batch), or None when it cannot be fed."""
    rng = np.random.default_rng(seed)
    out = {}
    for key, _, ttype in signature.inputs:
        if not _generable(ttype):
            return None
        shape = [batch if (i == 0 and d < 0) else (OTHER_DIM if d < 0 else d) for i, d in enumerate(ttype.shape)]
        dt = ttype.dtype
        if dt is T.string:
            idx = rng.integers(0, len(SAMPLE_STRINGS), size=shape)
            out[key] = np.array([SAMPLE_STRINGS[i] for i in idx.reshape(-1)], dtype=object).reshape(shape)
        elif dt is T.bool_:
            out[key] = rng.integers(0, 2, size=shape).astype(bool)
        elif dt.is_float:
            out[key] = rng.standard_normal(shape).astype(dt.np)
        else:
            out[key] = rng.integers(0, INT_HIGH, size=shape).astype(dt.np)
    return out


def _signatures(module, names=None):
    return [module.signatures[n] for n in sorted(module.signatures) if names is None or n in names]


def _load_npz(path):
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except (OSError, ValueError) as e:
        raise SmoptError(f"--sample_inputs '{path}' is not a readable .npz file: "
                         f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from None


def _chunks(arrays, batch):
    n = max((a.shape[0] for a in arrays.values() if a.ndim), default=1)
    if any(a.ndim and a.shape[0] != n for a in arrays.values()):
        raise ValueError("the arrays do not have the same number of examples (first axis)")
    out = []
    for start in range(0, n, batch):
        out.append({k: (a[start:start + batch] if a.ndim else a) for k, a in arrays.items()})
    return out


def sample_inputs(module, path=None, batch=8, count=8, signatures=None):
    """{signature name: [batch {key: array}]} (see the module docstring)."""
    sigs = _signatures(module, signatures)
    if not path:
        out = {}
        for s in sigs:
            batches = [generate(s, batch, seed) for seed in range(count)]
            if batches[0] is not None:
                out[s.name] = batches
        return out
    if not os.path.isfile(path):
        raise SmoptError(f"--sample_inputs '{path}' does not exist")
    if path.endswith(".npz"):
        arrays = _load_npz(path)
        try:
            batches = _chunks(arrays, batch)
        except ValueError as e:
            raise SmoptError(f"--sample_inputs '{path}': {e}") from None
        keys = sorted(arrays)
    else:
        from smopt.compiler.calibration import load_dataset
        batches = [{k: (v.astype(object) if v.dtype.kind in "SO" else v) for k, v in s.items()}
                   for s in load_dataset(path)]
        keys = sorted(batches[0])
    out = {}
    for s in sigs:
        if sorted(k for k, _, _ in s.inputs) == keys:
            _check_types(s, batches[0], path)
            out[s.name] = batches
    if not out:
        have = "; ".join(f"{s.name} takes {sorted(k for k, _, _ in s.inputs)}" for s in sigs) or "no signatures"
        raise SmoptError(f"--sample_inputs '{path}' has inputs {keys}, which match no signature ({have})")
    return out


def _check_types(signature, sample, path):
    for key, _, ttype in signature.inputs:
        arr = sample[key]
        want = ttype.dtype if isinstance(ttype, T.TensorType) else None
        if want is T.string:
            ok = arr.dtype.kind in "SO"
        else:
            try:
                ok = want is None or T.dtype_from_numpy(arr.dtype) is want
            except ValueError:
                ok = False
        if not ok:
            raise SmoptError(f"--sample_inputs '{path}': input '{key}' is {arr.dtype} but signature "
                             f"'{signature.name}' expects {want.name}")
        if ttype.shape is not None and (arr.ndim != len(ttype.shape) or
                                        any(d >= 0 and d != n for d, n in zip(ttype.shape, arr.shape))):
            raise SmoptError(f"--sample_inputs '{path}': input '{key}' has shape {list(arr.shape)} but "
                             f"signature '{signature.name}' expects {ttype}")


NUMERIC_STRINGS = (b"0", b"1", b"0.5", b"42", b"-3", b"7")


def _numeric_strings(batch, seed):
    """`batch` with its string inputs replaced by numbers as text (for string parsers)."""
    rng = np.random.default_rng(seed)
    out = {}
    for k, a in batch.items():
        if a.dtype.kind in "SO":
            idx = rng.integers(0, len(NUMERIC_STRINGS), size=a.shape)
            out[k] = np.array([NUMERIC_STRINGS[i] for i in idx.reshape(-1)], dtype=object).reshape(a.shape)
        else:
            out[k] = a
    return out


def runnable(model, samples, generated=True):
    """(the samples `model` runs on, {signature: why it was left out}). Generated inputs a
    signature rejects (free text where it parses numbers, ...) are retried with numbers as
    strings, then the signature is left out; a failure on the user's own inputs is an error."""
    ok, dropped = {}, {}
    for sig, batches in samples.items():
        try:
            model.run({sig: batches[:1]})
            ok[sig] = batches
            continue
        except SmoptError as e:
            if not generated:
                raise
            why = str(e)
        if any(a.dtype.kind in "SO" for a in batches[0].values()):
            alt = [_numeric_strings(b, i) for i, b in enumerate(batches)]
            try:
                model.run({sig: alt[:1]})
                ok[sig] = alt
                continue
            except SmoptError as e:
                why = str(e)
        dropped[sig] = why
    return ok, dropped


def split(samples):
    """(search, held_out): halves of each signature's batches (rows of a single batch)."""
    search, held = {}, {}
    for name, batches in samples.items():
        if len(batches) >= 2:
            k = len(batches) // 2
            search[name], held[name] = batches[:k], batches[k:]
            continue
        b = batches[0]
        n = max((a.shape[0] for a in b.values() if a.ndim), default=1)
        if n < 2:
            search[name] = held[name] = batches
            continue
        k = n // 2
        search[name] = [{key: (a[:k] if a.ndim else a) for key, a in b.items()}]
        held[name] = [{key: (a[k:] if a.ndim else a) for key, a in b.items()}]
    return search, held


def resize_batch(inputs, signature, batch):
    """`inputs` with every dynamic leading dimension cycled to `batch` rows."""
    types = {k: t for k, _, t in signature.inputs}
    out = {}
    for k, a in inputs.items():
        t = types.get(k)
        if a.ndim and isinstance(t, T.TensorType) and t.shape and t.shape[0] < 0 and a.shape[0]:
            out[k] = a[np.arange(batch) % a.shape[0]]
        else:
            out[k] = a
    return out


# ---- running --------------------------------------------------------------------------------
def tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow
    return tensorflow


def to_tensors(inputs):
    t = tf()
    return {k: (t.constant(v.astype(bytes) if v.size else v, dtype=t.string) if v.dtype.kind in "SO"
                else t.constant(v)) for k, v in inputs.items()}


# What load_custom_ops registered: `time_fresh`'s processes register the same.
CUSTOM_OPS: dict = {"modules": [], "libraries": []}


def load_custom_ops(modules=(), libraries=()):
    """Register custom ops with TensorFlow: import each Python module (tensorflow_text
    registers its ops on import), load each op library with tf.load_op_library."""
    import importlib
    CUSTOM_OPS["modules"] += [m for m in modules if m not in CUSTOM_OPS["modules"]]
    CUSTOM_OPS["libraries"] += [os.path.abspath(x) for x in libraries if os.path.abspath(x) not in CUSTOM_OPS["libraries"]]
    for mod in modules:
        try:
            importlib.import_module(mod)
        except Exception as e:
            raise SmoptError(f"cannot import custom op module '{mod}': {_first_line(e)}") from None
    for lib in libraries:
        if not os.path.isfile(lib):
            raise SmoptError(f"custom op library '{lib}' is not a file")
        try:
            tf().load_op_library(lib)
        except Exception as e:
            raise SmoptError(f"cannot load custom op library '{lib}': {_first_line(e)}") from None


class Model:
    """A SavedModel loaded in TensorFlow, with its signatures ready to call on numpy inputs."""

    def __init__(self, path, what="the model"):
        self.path = path
        self.what = what
        self.large = variables_bytes(path) > ONE_AT_A_TIME_BYTES
        self._loaded = None
        self._load()   # a model TensorFlow cannot load fails here

    def _load(self):
        try:
            self._loaded = tf().saved_model.load(self.path)
        except Exception as e:
            m = re.search(r"Op type not registered '([^']+)'", str(e))
            if m:   # TF's sentence goes on about tf.contrib; say what to do instead
                raise SmoptError(f"TensorFlow cannot load {self.what}: op '{m.group(1)}' is not "
                                 "registered (a custom op: register it with --custom_op_module, e.g. "
                                 "tensorflow_text, or --custom_op_library)") from None
            raise SmoptError(f"TensorFlow cannot load {self.what}: {_first_line(e)}") from None

    @property
    def loaded(self):
        if self._loaded is None:
            self._load()
        return self._loaded

    def release(self):
        """Drop a large model's TensorFlow state (its weights); it loads again when used."""
        if self.large and self._loaded is not None:
            self._loaded = None
            gc.collect()

    def fn(self, sig):
        return self.loaded.signatures[sig]

    def run(self, samples):
        """{sig: [ {output key: numpy array} per batch ]} for samples {sig: [inputs]}."""
        out = {}
        for sig, batches in samples.items():
            fn = self.fn(sig)
            res = []
            for i, b in enumerate(batches):
                try:
                    y = fn(**to_tensors(b))
                except Exception as e:
                    raise SmoptError(f"signature '{sig}' of {self.what} fails on sample batch {i}: "
                                     f"{_first_line(e)}") from None
                res.append({k: v.numpy() for k, v in y.items()})
            out[sig] = res
        return out

    def variables(self):
        """{object-graph path: tf.Variable} of the variables in the loaded object graph, each
        under every path a breadth-first walk meets it by (so also the shortest ones, which
        smopt's importer names variables by)."""
        import collections
        t = tf()
        found, seen = {}, set()
        work = collections.deque([("", self.loaded)])
        while work:
            prefix, obj = work.popleft()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            try:
                children = obj._trackable_children()
            except Exception:  # noqa: BLE001 - objects without children
                continue
            for name, child in children.items():
                p = f"{prefix}/{name}" if prefix else name
                if isinstance(child, t.Variable):
                    found.setdefault(p, child)
                work.append((p, child))
        return found


def _first_line(e):
    """The line of an exception that says what went wrong (TF's start with boilerplate)."""
    lines = [ln.strip() for ln in str(getattr(e, "message", None) or e).splitlines()]
    skip = ("Graph execution error", "Detected at node", "<stack traces unavailable>", "File ")
    useful = [ln for ln in lines if ln and not ln.startswith(skip)]
    return useful[0] if useful else (lines[0] if lines and lines[0] else type(e).__name__)


def output_error(ref, got):
    """The largest relative max-abs change over every signature, batch and output (see above)."""
    worst = 0.0
    for sig, batches in ref.items():
        for rb, gb in zip(batches, got[sig]):
            for k, a in rb.items():
                worst = max(worst, array_error(a, gb[k]))
    return worst


def array_error(a, b):
    if a.shape != b.shape:
        return math.inf
    if a.dtype.kind not in "fc":
        return float(np.mean(a != b)) if a.size else 0.0
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if np.any(np.isnan(a64) != np.isnan(b64)):
        return math.inf
    ok = ~np.isnan(a64)
    if not ok.any():
        return 0.0
    diff = float(np.max(np.abs(a64[ok] - b64[ok])))
    scale = float(np.max(np.abs(a64[ok])))
    if diff == 0.0:
        return 0.0
    return diff / scale if scale > 0 and np.isfinite(scale) else math.inf


# ---- latency --------------------------------------------------------------------------------
def timing_inputs(module, samples, batch_sizes):
    """{(sig, batch size): inputs} from the first sample batch of each signature."""
    out = {}
    for sig, batches in samples.items():
        s = module.signatures[sig]
        for b in batch_sizes:
            out[(sig, b)] = resize_batch(batches[0], s, b)
    return out


def time_models(models, inputs, rounds=15, target_s=0.003):
    """[{(sig, batch): per-round seconds per call (numpy array)}] for `models` (Model objects)
    on `inputs` ({(sig, batch): numpy inputs}), measured interleaved (see the module docstring);
    large models one at a time."""
    if any(m.large for m in models):
        return _time_one_at_a_time(models, inputs, rounds, target_s)
    results = [{} for _ in models]
    for key, arrays in inputs.items():
        sig = key[0]
        feeds = to_tensors(arrays)
        fns = [m.fn(sig) for m in models]
        reps = []
        for fn in fns:
            for _ in range(2):
                fn(**feeds)        # warm-up (and compilation of XLA clusters)
            t0 = time.perf_counter()
            fn(**feeds)
            one = max(time.perf_counter() - t0, 1e-6)
            reps.append(max(1, min(200, int(target_s / one))))
        samples = [[] for _ in models]
        for r in range(rounds):
            order = range(len(fns)) if r % 2 == 0 else reversed(range(len(fns)))
            for i in order:
                fn, n = fns[i], reps[i]
                t0 = time.perf_counter()
                for _ in range(n):
                    fn(**feeds)
                samples[i].append((time.perf_counter() - t0) / n)
        for i in range(len(models)):
            results[i][key] = np.asarray(samples[i])
    return results


def _time_one_at_a_time(models, inputs, rounds, target_s):
    """time_models for large models: each loaded alone (the others released), timed on every
    input, released; two passes over the models in opposite orders, half the rounds each."""
    for m in models:
        m.release()
    samples = [{k: [] for k in inputs} for _ in models]
    reps = [{} for _ in models]
    halves = (rounds + 1) // 2, rounds // 2
    for p, n_rounds in enumerate(halves):
        order = range(len(models)) if p == 0 else reversed(range(len(models)))
        for i in order:
            m = models[i]
            for key, arrays in inputs.items():
                fn, feeds = m.fn(key[0]), to_tensors(arrays)
                for _ in range(2):
                    fn(**feeds)        # warm-up (and compilation of XLA clusters)
                if key not in reps[i]:
                    t0 = time.perf_counter()
                    fn(**feeds)
                    one = max(time.perf_counter() - t0, 1e-6)
                    reps[i][key] = max(1, min(200, int(target_s / one)))
                n = reps[i][key]
                for _ in range(n_rounds):
                    t0 = time.perf_counter()
                    for _ in range(n):
                        fn(**feeds)
                    samples[i][key].append((time.perf_counter() - t0) / n)
            fn = feeds = None   # the function holds the model's variables
            m.release()
    return [{k: np.asarray(v) for k, v in s.items()} for s in samples]


def time_fresh(paths, inputs, workdir, rounds=None, envs=None):
    """([{(sig, batch): per-process median seconds per call (numpy array, one per round)} or
    None], {index: why}) for the SavedModels at `paths`, each timed alone in a fresh Python
    process, as a server runs one model: `rounds` processes per model, round-robin, the order
    reversed every other round, so that drift on the machine hits every model alike. Loaded
    side by side in one process, sub-millisecond models measure differently (shared thread
    pools and caches): a cluster that measured faster interleaved ran 1.45x slower alone.
    `envs`: extra environment per model (e.g. TF_XLA_FLAGS). A model whose process fails
    gives None and its error line. The result works with `ratios`, `slowdown`, `speedup_ratio`."""
    rounds = rounds or FRESH_ROUNDS
    os.makedirs(workdir, exist_ok=True)
    feed = os.path.join(workdir, "fresh_inputs.pkl")
    with open(feed, "wb") as f:
        pickle.dump(inputs, f)
    runs: list[list[dict]] = [[] for _ in paths]
    errors: dict[int, str] = {}
    order = list(range(len(paths)))
    for r in range(rounds):
        for i in (order if r % 2 == 0 else order[::-1]):
            if i in errors:
                continue
            out = os.path.join(workdir, f"fresh_{i}_{r}.json")
            env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **((envs or {}).get(i) or {}))
            cmd = [sys.executable, "-m", "smopt.compiler.measure", paths[i], feed, out]
            cmd += [a for m in CUSTOM_OPS["modules"] for a in ("--custom_op_module", m)]
            cmd += [a for x in CUSTOM_OPS["libraries"] for a in ("--custom_op_library", x)]
            p = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if p.returncode != 0:
                errors[i] = (p.stderr.strip().splitlines() or [f"exit status {p.returncode}"])[-1]
                continue
            with open(out) as f:
                runs[i].append(json.load(f))
    keys = list(inputs)
    res = [None if i in errors else {k: np.asarray([run[f"{k[0]}@{k[1]}"] for run in runs[i]]) for k in keys}
           for i in range(len(paths))]
    return res, errors


def pooled(first, second):
    """Two `time_fresh` results of the same models as one with the rounds of both (None where
    either failed)."""
    return [None if a is None or b is None else {k: np.concatenate([a[k], b[k]]) for k in a}
            for a, b in zip(first, second)]


def _fresh_child(argv):
    """The process `time_fresh` starts: MODEL INPUTS.pkl OUT.json [--custom_op_module M]...
    One model alone; per input, the median of `time_models`' rounds (longer ones than in
    process: starting the process costs more than timing)."""
    import argparse
    ap = argparse.ArgumentParser(prog="smopt.compiler.measure")
    ap.add_argument("model")
    ap.add_argument("inputs")
    ap.add_argument("out")
    ap.add_argument("--custom_op_module", action="append", default=[])
    ap.add_argument("--custom_op_library", action="append", default=[])
    a = ap.parse_args(argv)
    load_custom_ops(a.custom_op_module, a.custom_op_library)
    with open(a.inputs, "rb") as f:
        inputs = pickle.load(f)
    (t,) = time_models([Model(a.model)], inputs, rounds=15, target_s=0.01)
    with open(a.out, "w") as f:
        json.dump({f"{sig}@{b}": float(np.median(v)) for (sig, b), v in t.items()}, f)


def seconds(timing):
    """{key: median seconds per call} of one model's `time_models` entry."""
    return {k: float(np.median(v)) for k, v in timing.items()}


def ratios(new, old):
    """{key: (paired, best)}: the median of the per-round ratios new/old (each pair measured
    back to back, so load that comes and goes cancels) and the ratio of the fastest rounds."""
    out = {}
    for k in old:
        if k in new and len(new[k]) == len(old[k]) and np.all(old[k] > 0):
            out[k] = (float(np.median(new[k] / old[k])), float(np.min(new[k]) / np.min(old[k])))
    return out


def slowdown(new, old):
    """How many times slower `new` is on its worst key, by the estimate more favourable to it
    (a slowdown counts only when both estimates show it)."""
    return max((min(r) for r in ratios(new, old).values()), default=1.0)


def speedup_ratio(new, old):
    """Geometric mean over keys of new/old by the estimate less favourable to `new` (< 1: new
    is faster by both estimates)."""
    rs = [max(r) for r in ratios(new, old).values()]
    return math.exp(sum(math.log(r) for r in rs) / len(rs)) if rs else 1.0


def variables_bytes(path):
    """Bytes of the checkpoint data files in `path`/variables."""
    d = os.path.join(path, "variables")
    try:
        return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if ".data-" in f)
    except OSError:
        return 0


def model_size(path):
    """Bytes of saved_model.pb and variables/ (what a compression saves)."""
    total = 0
    pb = os.path.join(path, "saved_model.pb")
    if os.path.exists(pb):
        total += os.path.getsize(pb)
    var_dir = os.path.join(path, "variables")
    for root, _, files in os.walk(var_dir):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    return total


def fmt_ms(seconds):
    return f"{seconds * 1e3:.3f} ms"


def latency_text(lat):
    """{batch size: seconds} as a report cell ("1 0.412 ms, 8 1.301 ms"; "-" when not measured)."""
    if not lat:
        return "-"
    return ", ".join(f"{k} {v * 1e3:.3f} ms" for k, v in lat.items())


if __name__ == "__main__":
    try:
        _fresh_child(sys.argv[1:])
    except Exception as e:   # one line for the parent's message
        sys.exit(f"timing in a fresh process failed: {_first_line(e)}")
