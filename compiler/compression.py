"""Compression within an accuracy budget: smopt-optimize's `--allow_compression`.

    stages, report = choose_compression(input_dir, prefix, budget=0.01, samples=..., workdir=...)

The pipeline stages (pass text) that compress the model as much as possible while the
output error stays within `budget` (compiler/measure.py `output_error`: max-abs output change
relative to the max-abs output) and the model does not get slower; `[]` when nothing
qualifies (the model is left as it is; `report["message"]` says why).

Weights. The candidates are the float32 variables of rank >= 2 with at least `MIN_ELEMENTS`
elements that `freeze-variables` turns into constants (it must freeze every variable of the
model: otherwise the checkpoint stays and constants only add to it, and the model is left
uncompressed with that reason) (after the `prefix` stages, which the
final pipeline runs first as well): every function's read of such a variable becomes a
constant under the read's node name, and the per-weight options of the passes name those
constants as `function/node`. Freezing first is what makes the choices free at run time:
a dequantization (Cast, Mul) or bfloat16 Cast of a constant is folded by Grappler when TF
instantiates the function, so the float kernels run as before. `share-constants` then stores
the copies freezing makes of a weight read by several functions (Keras exports a call
function per layer and more) once.

Choices per weight, each with its stored bytes (the smallest first):
- `prune-P`: magnitude pruning to sparsity P (`PRUNE_LEVELS`), stored as SparseToDense where
  that is smaller (passes/prune_weights.py storage=auto); only levels whose sparse form is
  smaller than the dense float32 weight count (rank-2 float32 with int32 indices: > 2/3);
- `int8`: `quantize{method=weight_only}` (per-channel int8, 1 byte per element);
- `bf16`: `bf16-weights` (2 bytes per element).
A dynamic-range int8 variant (`quantize{method=dynamic_range}`: int8 activations too) stores
the same bytes as `int8`; it is tried for the int8 weights as a whole at the end and kept only
when it is within budget, measurably faster (>= 5%) than weight-only int8 side by side, and
passes the latency check below.

Search (TensorFlow runs every candidate). The original model is loaded once; a candidate
weight value is assigned to its variable and the signatures run on the search half of the
sample inputs (compiler/measure.py). The values are exactly what the compressed model reads:
the int8 values come from running the real `quantize` pass on a copy (balanced rounding
included) and dequantizing in float32 as its Cast/Mul does, bfloat16 and pruning use the
passes' own functions. Two phases:
1. alone: for each weight, its choices smallest first, the first whose error (this weight
   changed alone) stays within `SEARCH_MARGIN` x budget;
2. together, greedily: weights in order of error per byte saved (least first), each keeps the
   smallest choice, from the one that passed alone upwards (larger ones not evaluated alone
   included), for which the error of everything kept so far stays within `SEARCH_MARGIN` x
   budget, or stays float32.
The kept choices are then checked on the held-out half: while the error exceeds
`HELD_OUT_MARGIN` x budget, the last kept weight steps up to its next more faithful choice
(heavier to lighter pruning, int8, bfloat16, float32) and goes to the front, so each steps
before any steps twice; the weights then left float32 get the greedy
pass again, each choice checked on both halves. The margins leave room for inputs
neither half has seen: the max-abs error over more examples only grows, and a softmax's
tail is heavy. MobileNetV2 and a ConvNeXt-like model, checked at the full budget on 16
held-out examples, measured 1.08-1.10x the budget on 32 others; with 8 batches
(measure.sample_inputs: 32 held-out examples) and a 0.9 margin, MobileNetV2's 0.0080 was
0.0101 on 32 others (1.26x). Hence 0.7 for the search and 0.75 for the held-out check.

Check (real model). The compressed model is built and exported with the chosen stages, loaded
and run: its held-out error must be within `HELD_OUT_MARGIN` x budget, its size smaller than
the original's and its latency at most `LATENCY_TOLERANCE` x the original's on every
signature and warm-up batch size, each model served alone in fresh processes
(compiler/measure.py `time_fresh`; a tokenizer's compressed model passed side by side in one
process and measured 1.16x slower in the benchmark's fresh processes); a slowdown counts only
when it holds over twice as many processes. A model slower only because
a weight of more than `FOLD_LIMIT` float32 bytes (beyond Grappler's constant-folding limit:
its dequantization would run on every request) was compressed is retried without those.
Otherwise the model is left uncompressed, with a message.
"""
from __future__ import annotations

import contextlib
import io
import math
import os
import shutil
import tempfile

import numpy as np

from smopt.ir import types as T

from smopt.compiler import measure
from smopt.compiler.errors import SmoptError

DEFAULT_BUDGET = 0.01
MIN_ELEMENTS = 1024
SEARCH_MARGIN = 0.7
HELD_OUT_MARGIN = 0.75
LATENCY_TOLERANCE = 1.05
DYNAMIC_RANGE_GAIN = 0.95
FOLD_LIMIT = 10 << 20
PRUNE_LEVELS = (0.75, 0.9, 0.95)
SHARE_MIN_BYTES = 256   # a shared constant costs a call and a function (~200 bytes of graph)


# A compressed model serves its signatures and aliased functions: other traces the object graph
# exports (Keras' training-mode layer calls, which update batch-norm statistics and so keep
# every such variable from freezing) go first, as TensorFlow's quantizer keeps only the
# signatures. The SavedModel still loads; those restored functions can no longer be called.
# Resources the object graph restores (lookup tables) keep their creator, initializer and
# destroyer functions (`serving_only`).
_RESOURCE_FUNCTIONS = ("_create_resource", "_initialize", "_destroy_resource")


def serving_only(module):
    """The stage that drops exported traces nothing serves (see above)."""
    from smopt.compiler import tfproto
    keep = set()
    if module.meta_graph:
        mg = tfproto.message("tensorflow.MetaGraphDef")()
        mg.ParseFromString(module.meta_graph)
        nodes = mg.object_graph_def.nodes
        for node in nodes:
            for ch in node.children:
                if ch.local_name in _RESOURCE_FUNCTIONS and nodes[ch.node_id].WhichOneof("kind") == "function":
                    keep.update(nodes[ch.node_id].function.concrete_functions)
    keep = sorted(n for n in keep if n in module.functions)
    return "symbol-dce{keep-exported=false" + (f" keep={','.join(keep)}" if keep else "") + "}"

# The constant freeze-variables makes of a read, named after the reading op.
_FROZEN_NAME = {"ReadVariableOp": "", "ResourceGather": "/frozen_params", "ResourceGatherNd": "/frozen_params"}


class Weight:
    """A compressible weight: a variable and the constants freezing makes of its reads."""

    def __init__(self, path, consts, value, name="", unique_name=False):
        self.path = path
        self.name = name                 # the variable's TF name, e.g. "dense/kernel"
        self.unique_name = unique_name   # no other variable of the model has it
        self.consts = consts             # ["function/node", ...]
        self.value = value               # float32 numpy array
        self.choices = {}                # name -> (value the model reads, stored bytes)
        self.alone = {}                  # name -> error with only this weight changed
        self.choice = "float32"

    @property
    def float_bytes(self):
        return self.value.size * 4

    def bytes(self, choice=None):
        """Stored bytes of this weight under `choice` (default: the chosen one); its constants'
        copies are stored once (share-constants)."""
        choice = choice or self.choice
        return self.float_bytes if choice == "float32" else self.choices[choice][1]


# ---- preparing the IR ------------------------------------------------------------------------
def prepared(input_dir, stages):
    """The model imported and run through `stages` (pass text list); what passes print (the
    placement's report) is dropped: these are experiments, the final pipeline reports."""
    from smopt.passes.framework.registry import parse_pipeline
    from smopt.compiler.importer import import_saved_model
    from smopt.compiler.pass_manager import PassManager
    m = import_saved_model(input_dir)
    if stages:
        with contextlib.redirect_stderr(io.StringIO()):
            PassManager(parse_pipeline(",".join(stages))).run(m)
    return m


def find_weights(module):
    """[Weight] of `module` (after the prefix stages); freezes `module` in place."""
    from smopt.passes.analysis.variables import VariableAnalysis, checkpoint_functions
    from smopt.passes.framework.registry import parse_pipeline
    from smopt.compiler.pass_manager import PassManager
    analysis = VariableAnalysis(module)
    skip = checkpoint_functions(module)
    reads = {}
    for fn in module.functions.values():
        if fn.name in skip:
            continue
        for op in fn.ops:
            if op.type not in _FROZEN_NAME or not op.operands:
                continue
            vars_, status = analysis.variable_of(op.operands[0])
            if vars_ and status != "skip":
                reads.setdefault(vars_[0].path, []).append((fn.name, op.name + _FROZEN_NAME[op.type]))
    names = [v.name for v in module.variables]
    var_name = {v.path: v.name for v in module.variables}
    values = {}
    for v in module.variables:
        t = v.type
        if v.path not in reads or not isinstance(t, T.TensorType) or t.element is not T.float32 \
                or t.shape is None or len(t.shape) < 2 or not t.has_static_shape or t.num_elements < MIN_ELEMENTS:
            continue
        try:
            values[v.path] = np.asarray(module.read_variable(v), np.float32)
        except LookupError:
            continue
    PassManager(parse_pipeline("freeze-variables")).run(module)
    weights = []
    for path, value in values.items():
        consts = []
        for fn_name, node in reads[path]:
            fn = module.functions.get(fn_name)
            op = next((o for o in fn.ops if o.name == node), None) if fn is not None else None
            if op is None or op.type != "Const":
                consts = []
                break
            consts.append(f"{fn_name}/{node}")
        if consts:
            name = var_name[path]
            weights.append(Weight(path, consts, value, name, names.count(name) == 1))
    return weights


def _int8_values(input_dir, prefix, weights):
    """{path: (float32 value the int8 model reads, bytes)} from the real quantize pass."""
    from smopt.passes.framework.registry import parse_pipeline
    from smopt.compiler.pass_manager import PassManager
    from smopt.passes.numerics.quantize_lowering import dequantize_array
    m = prepared(input_dir, prefix + ["freeze-variables"])
    names = [c for w in weights for c in w.consts]
    PassManager(parse_pipeline(_stage("quantize", method="weight_only", **{"signature-keys": ""},
                                      **{"min-num-elements": 0}, weights=names))).run(m)
    out = {}
    for w in weights:
        vals = []
        for c in w.consts:
            fn_name, _, node = c.partition("/")     # TF function names have no '/'
            fn = m.functions.get(fn_name)
            if fn is None:
                break
            op = next((o for o in fn.ops if o.name == node), None)
            dense = op.attrs.get("value") if op is not None and op.type == "Const" else None
            qt = dense.type.element if dense is not None else None
            if not isinstance(qt, T.QuantizedType):
                break   # not quantized here (not a MatMul/Conv weight), or a float copy remains
            vals.append((dequantize_array(dense.array, qt.scale, qt.axis),
                         dense.array.size + 4 * (len(qt.scale) if qt.axis is not None else 1)))
        else:
            if vals and all(np.array_equal(vals[0][0], v) for v, _ in vals[1:]):
                out[w.path] = vals[0]
    return out


def _stage(name, **options):
    parts = []
    for k, v in options.items():
        if isinstance(v, (list, tuple)):
            v = ",".join(v)
        parts.append(f"{k}={v}")
    return name + ("{" + " ".join(parts) + "}" if parts else "")


def candidate_choices(input_dir, prefix, weights):
    """Fill each weight's `choices` (value read, stored bytes), cheaper than float32 only."""
    from smopt.passes.bf16_weights import bf16_round
    from smopt.passes.prune_weights import prune_array, sparse_bytes
    int8 = _int8_values(input_dir, prefix, weights)
    for w in weights:
        for s in PRUNE_LEVELS:
            pruned = prune_array(w.value, s)
            nbytes = sparse_bytes(pruned)
            if nbytes < w.float_bytes:
                w.choices[f"prune-{s:g}"] = (pruned, nbytes)
        if w.path in int8:
            w.choices["int8"] = int8[w.path]
        w.choices["bf16"] = (bf16_round(w.value), w.value.size * 2)
    return weights


def stages_for(weights, serving, dynamic=()):
    """The pass stages that apply the weights' choices (after the prefix); `serving`: the
    `serving_only` stage."""
    by = {}
    for w in weights:
        if w.choice != "float32":
            by.setdefault(w.choice, []).extend(w.consts)
    if not by:
        return []
    st = [serving, "freeze-variables"]
    for s in PRUNE_LEVELS:
        names = by.get(f"prune-{s:g}")
        if names:
            st.append(_stage("prune-weights", sparsity=f"{s:g}", **{"min-elements": 0}, weights=names))
    int8 = by.get("int8", [])
    dyn = [c for c in int8 if c in set(dynamic)]
    wo = [c for c in int8 if c not in set(dynamic)]
    if wo:
        st.append(_stage("quantize", method="weight_only", **{"signature-keys": ""},
                         **{"min-num-elements": 0}, weights=wo))
    if dyn:
        st.append(_stage("quantize", method="dynamic_range", **{"signature-keys": ""},
                         **{"min-num-elements": 0}, weights=dyn))
    if by.get("bf16"):
        st.append(_stage("bf16-weights", **{"min-elements": 0}, weights=by["bf16"]))
    st += [f"share-constants{{min-bytes={SHARE_MIN_BYTES}}}", "merge-functions"]
    return st


# ---- the search ---------------------------------------------------------------------------------
class Simulator:
    """The original model in TensorFlow with weights swapped in through its variables."""

    def __init__(self, model, weights, search, held):
        self.model = model
        self.search, self.held = search, held
        found = model.variables()
        by_name = {}
        for v in {id(v): v for v in found.values()}.values():
            by_name.setdefault(v.name.rsplit(":", 1)[0], []).append(v)
        self.vars = {}
        for w in weights:   # by object-graph path, else by a variable name unique on both sides
            v = found.get(w.path)
            if v is None and w.name and len(by_name.get(w.name, ())) == 1 and w.unique_name:
                v = by_name[w.name][0]
            if v is not None and tuple(v.shape) == w.value.shape:
                self.vars[w.path] = v
        self.ref_search = model.run(search)
        self.ref_held = model.run(held)
        self.noise = measure.output_error(self.ref_search, model.run(search))
        self.evals = 0

    def set(self, w, choice):
        v = w.value if choice == "float32" else w.choices[choice][0]
        self.vars[w.path].assign(v)

    def error(self, held=False):
        self.evals += 1
        if held:
            return measure.output_error(self.ref_held, self.model.run(self.held))
        return measure.output_error(self.ref_search, self.model.run(self.search))


def search(sim, weights, budget):
    """Choose each weight's storage (see the module docstring). Returns the kept order."""
    target = budget * SEARCH_MARGIN
    usable = [w for w in weights if w.path in sim.vars]
    for w in usable:                                     # 1. alone
        for name in sorted(w.choices, key=lambda c: w.choices[c][1]):
            sim.set(w, name)
            err = sim.error()
            sim.set(w, "float32")
            w.alone[name] = err
            if err <= target:
                break

    def priority(w):
        passing = [c for c, e in w.alone.items() if e <= target]
        if not passing:
            return math.inf
        best = min(passing, key=lambda c: w.choices[c][1])
        saved = w.bytes("float32") - w.choices[best][1]
        return (w.alone[best] + 1e-12) / max(saved, 1)

    def tries(w):
        """The smallest choice that passed alone, and every larger one not seen failing alone."""
        passing = [c for c, e in w.alone.items() if e <= target]
        floor = min((w.choices[c][1] for c in passing), default=math.inf)
        return sorted((c for c in w.choices if w.choices[c][1] >= floor and w.alone.get(c, 0.0) <= target),
                      key=lambda c: w.choices[c][1])

    def fill(kept, held):
        """Greedily give each float32 weight its smallest choice that keeps the error within
        the margins (the held-out one too when `held`)."""
        for w in sorted(usable, key=priority):
            if w in kept:
                continue
            for name in tries(w):
                sim.set(w, name)
                if sim.error() <= target and (not held or sim.error(held=True) <= budget * HELD_OUT_MARGIN):
                    w.choice = name
                    kept.append(w)
                    break
                sim.set(w, "float32")

    kept: list = []
    fill(kept, held=False)                                             # 2. together
    stepped = False
    while kept and sim.error(held=True) > budget * HELD_OUT_MARGIN:   # 3. held-out check
        # the last kept steps up to its next more faithful choice and goes to the front, so
        # that each weight steps once (int8 to bfloat16) before any goes back to float32
        w = kept.pop()
        w.choice = _more_faithful(w, target)
        sim.set(w, w.choice)
        if w.choice != "float32":
            kept.insert(0, w)
        stepped = True
    if stepped:   # room freed by the steps: the weights left float32 try again, held-out checked
        fill(kept, held=True)
    for w in usable:
        sim.set(w, "float32")
    return kept


def _fidelity(choice):
    """Rank of a choice by how faithfully it keeps the weight (heavier pruning first)."""
    if choice.startswith("prune-"):
        return (0, -float(choice[len("prune-"):]))
    return ({"int8": 1, "bf16": 2, "float32": 3}[choice], 0.0)


def _more_faithful(w, target):
    """The next choice after `w.choice` in fidelity that was not seen failing alone (float32
    last): a step of the held-out check."""
    up = sorted((c for c in w.choices if _fidelity(c) > _fidelity(w.choice) and w.alone.get(c, 0.0) <= target),
                key=_fidelity)
    return up[0] if up else "float32"


# ---- building and checking candidates -----------------------------------------------------------
def build(input_dir, stages, out_dir):
    """Export the model run through `stages` to `out_dir`."""
    from smopt.compiler.exporter import export_saved_model
    m = prepared(input_dir, stages)
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    export_saved_model(m, out_dir)
    return out_dir


def _slower(orig, cand, timing, workdir):
    """(slower, timings, why it could not be timed): whether `cand` is more than
    LATENCY_TOLERANCE x slower than `orig` on some key by both estimates (measure.slowdown),
    each model served alone in fresh processes (measure.time_fresh: side by side in one process
    sub-millisecond models measure differently). A slowdown counts only when it holds over
    twice as many processes: one process's median can sit 1.3x from the next one's."""
    t, errs = measure.time_fresh([orig.path, cand.path], timing, os.path.join(workdir, "fresh"))
    if errs:
        return True, None, "; ".join(errs.values())
    if measure.slowdown(t[1], t[0]) <= LATENCY_TOLERANCE:
        return False, t, None
    more, errs = measure.time_fresh([orig.path, cand.path], timing, os.path.join(workdir, "fresh"))
    if errs:
        return True, None, "; ".join(errs.values())
    t = measure.pooled(t, more)
    return measure.slowdown(t[1], t[0]) > LATENCY_TOLERANCE, t, None


def choose_compression(input_dir, prefix, module, budget=DEFAULT_BUDGET, samples=None, workdir=None,
                       batch_sizes=(1, 8), original=None):
    """(stages, report): see the module docstring. `module`: the imported model (for its
    signatures); `samples`: {signature: [inputs]} (compiler/measure.py) the model runs on;
    `original`: the input model already loaded (measure.Model)."""
    if not (budget >= 0 and math.isfinite(budget)):
        raise SmoptError(f"--compression_accuracy_budget must be a non-negative number, got {budget}")
    report = {"budget": budget, "search_margin": SEARCH_MARGIN, "held_out_margin": HELD_OUT_MARGIN,
              "latency_tolerance": LATENCY_TOLERANCE,
              "kept": False, "weights": []}
    orig_size = measure.model_size(input_dir)
    report["before"] = {"size": orig_size}
    samples = samples if samples is not None else measure.sample_inputs(module)
    if not samples:
        report["message"] = "no signature can be fed sample inputs (pass --sample_inputs)"
        return [], report
    search_set, held_set = measure.split(samples)
    serving_stage = serving_only(module)
    serving = list(prefix) + [serving_stage]
    m = prepared(input_dir, serving)
    total = len(m.variables)
    weights = find_weights(m)
    if m.variables:   # freeze-variables drops the checkpoint only when every variable froze
        report["message"] = (f"{len(m.variables)} of {total} variables cannot become constants (written at "
                             "run time, a lookup table's state, or read through a function several variables "
                             "share), so the model keeps its stored variables and compressed constants would "
                             "only add to them: left uncompressed")
        return [], report
    del m
    if not weights:
        report["message"] = (f"no float32 weight of rank >= 2 with at least {MIN_ELEMENTS} elements "
                             "that freezing turns into a constant")
        return [], report
    candidate_choices(input_dir, serving, weights)
    original = original or measure.Model(input_dir, "the original model")
    sim = Simulator(original, weights, search_set, held_set)
    report["noise"] = sim.noise
    if sim.noise > budget * SEARCH_MARGIN / 2:
        report["message"] = (f"the model's outputs differ between two runs on the same inputs "
                             f"({sim.noise:.3g} > half the budget): compression cannot be measured")
        return [], report
    kept = search(sim, weights, budget)
    report["evaluations"] = sim.evals
    timing = measure.timing_inputs(module, search_set, batch_sizes)

    def describe():
        report["weights"] = [{"weight": w.path, "shape": list(w.value.shape), "choice": w.choice,
                              "bytes_before": w.bytes("float32"), "bytes_after": w.bytes(),
                              "error_alone": dict(w.alone)} for w in weights]

    attempts = [kept]
    big = [w for w in kept if w.float_bytes > FOLD_LIMIT]
    if big:
        attempts.append([w for w in kept if w.float_bytes <= FOLD_LIMIT])
    workdir = workdir or tempfile.mkdtemp(prefix="smopt-compression-")   # the caller's, or left to the OS
    for attempt, chosen in enumerate(attempts):
        for w in weights:
            if w not in chosen:
                w.choice = "float32"
        describe()
        if not chosen:
            report["message"] = (f"no weight can be compressed within the budget ({budget:g} max-abs "
                                 "output change relative to the max-abs output)")
            return [], report
        stages = stages_for(weights, serving_stage)
        cand_dir = build(input_dir, prefix + stages, os.path.join(workdir, f"compressed_{attempt}"))
        cand = measure.Model(cand_dir, "the compressed model")
        err = measure.output_error(sim.ref_held, cand.run(held_set))
        size = measure.model_size(cand_dir)
        after = {"size": size, "error": err}
        report["before"]["error"] = 0.0
        report["after"] = after
        report["stages"] = stages
        if err > budget * HELD_OUT_MARGIN:
            report["message"] = (f"the compressed model's held-out error {err:.3g} exceeds {HELD_OUT_MARGIN:g} x the "
                                 f"budget {budget:g} (the search measured less): left uncompressed")
            return [], report
        if size >= orig_size:
            report["message"] = f"the compressed model is not smaller ({size} >= {orig_size} bytes): left uncompressed"
            return [], report
        finals = [(stages, cand, after)]
        dyn = [c for w in chosen if w.choice == "int8" for c in w.consts]
        if dyn:   # dynamic range first when it is the faster one
            finals[:0] = _try_dynamic_range(input_dir, prefix, weights, dyn, cand, held_set, sim, budget, timing,
                                            workdir, report, serving_stage)
        for stages_i, model_i, after_i in finals:
            slower, t, why = _slower(original, model_i, timing, workdir)
            if t is not None:
                report["before"]["latency"] = _lat(t[0])
                after_i["latency"] = _lat(t[1])
            report["after"] = after_i
            if why:
                report["message"] = f"the compressed model cannot be timed in a fresh process ({why}): left uncompressed"
                return [], report
            if slower:
                continue
            report.pop("message", None)
            if "dynamic_range" in report:
                report["dynamic_range"]["kept"] = model_i is not cand
            if model_i is not cand:
                for entry in report["weights"]:
                    if entry["choice"] == "int8":
                        entry["choice"] = "int8 dynamic range"
            report["kept"] = True
            report["stages"] = stages_i
            return stages_i, report
        report["message"] = ("the compressed model is slower than the original by more than "
                             f"{(LATENCY_TOLERANCE - 1) * 100:.0f}%: left uncompressed")
    return [], report


def _try_dynamic_range(input_dir, prefix, weights, dyn, wo_model, held_set, sim, budget, timing, workdir, report,
                       serving_stage):
    """[(stages, model, after)] for dynamic-range int8 on the int8 weights when it is within the
    budget and >= 5% faster than weight-only int8 (timed side by side), else []."""
    stages = stages_for(weights, serving_stage, dynamic=dyn)
    try:
        d = build(input_dir, prefix + stages, os.path.join(workdir, "compressed_dynamic"))
        model = measure.Model(d, "the dynamic-range model")
        err = measure.output_error(sim.ref_held, model.run(held_set))
    except SmoptError as e:
        report["dynamic_range"] = {"kept": False, "why": str(e)}
        return []
    t = measure.time_models([wo_model, model], timing)
    gm = measure.speedup_ratio(t[1], t[0])
    faster = err <= budget * HELD_OUT_MARGIN and gm <= DYNAMIC_RANGE_GAIN
    report["dynamic_range"] = {"kept": False, "error": err, "latency_vs_weight_only": gm}
    return [(stages, model, {"size": measure.model_size(d), "error": err})] if faster else []


def _lat(t):
    """{"signature@batch": median seconds} of one model's timings."""
    return {f"{sig}@{b}": s for (sig, b), s in sorted(measure.seconds(t).items())}


# ---- reporting ------------------------------------------------------------------------------------
def format_report(report):
    """The stderr table: size, latency and error before and after, and the choices made."""
    lines = [f"smopt-optimize: compression (budget {report['budget']:g} max-abs output change / max-abs output)"]
    before, after = report.get("before", {}), report.get("after")
    lines.append(f"  {'':<10}{'size (bytes)':>14}{'error':>12}  latency")
    lines.append(f"  {'original':<10}{before.get('size', 0):>14}{0.0:>12.3g}  {measure.latency_text(before.get('latency'))}")
    if after:
        label = "compressed" if report.get("kept") else "rejected"
        lines.append(f"  {label:<10}{after['size']:>14}{after['error']:>12.3g}  {measure.latency_text(after.get('latency'))}")
    counts = {}
    for w in report.get("weights", []):
        counts[w["choice"]] = counts.get(w["choice"], 0) + 1
    if counts:
        lines.append("  weights: " + ", ".join(f"{n} {c}" for c, n in sorted(counts.items())))
    if "dynamic_range" in report:
        d = report["dynamic_range"]
        if "latency_vs_weight_only" in d:
            lines.append(f"  dynamic-range int8: error {d['error']:.3g}, latency x{d['latency_vs_weight_only']:.2f} "
                         f"of weight-only: {'kept' if d['kept'] else 'not kept'}")
    if report.get("message"):
        lines.append(f"  {report['message']}")
    return "\n".join(lines) + "\n"
