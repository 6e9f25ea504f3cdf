"""A fuzzer for smopt's command lines (issue 15): seeded, deterministic, standard library only.

    python -m tests.fuzz.fuzz --seed 1 --cases 5000          # a long run, summary on stdout
    python -m tests.fuzz.fuzz --seed 1 --case 417 --show     # replay one case, show its output

Each case builds one input and runs one command (smopt, smopt-convert or smopt-optimize) in
this process, under a time limit:
- ir: IR text from the lit inputs, mutated (characters, spans, tokens, numbers, nesting);
- pipeline: a lit input under a random pipeline of registered passes with random options;
- saved_model: the example SavedModel with its saved_model.pb mutated (fields of nodes,
  attrs, tensors, signatures, the object graph, or raw bytes), lifted or converted;
- variables: the example SavedModel with variables.index / variables.data-* damaged, converted;
- options: ConverterOptions text (from valid examples, mutated), as a string or a file;
- paths: output, dump and reproducer locations of every awkward kind (a file, under a file,
  the input, inside it, around it, symlinks, a loop, missing parents).

Every run is classified: `clean error` (exit 1 and one stderr line), `accepted` (exit 0),
`usage error` (argparse), and the bad outcomes: `traceback` (an exception escaped, exit 2
"internal error", or a traceback on stderr), `noisy error` (more than one stderr line),
`hang` (over the time limit), `partial output` (a failed run left its output or a
temporary), `input modified`, `stray file` (the run left something in its working
directory: each case runs in an empty one, since no tool writes there unless told to). `pass crash` (a pass raised; reported as one line naming the
pass) is counted apart: a bug in that pass, not in the error contract.
A case is a function of (seed, index) alone, so any case replays by its index.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

KINDS = {"ir": 40, "pipeline": 15, "saved_model": 20, "variables": 5, "options": 10, "paths": 10}
BAD = ("traceback", "noisy error", "hang", "partial output", "input modified", "stray file")
IDENTITY = "disable_default_optimizations: true"
TPU = 'tpu_functions { function_alias: "tpu_func" }'


class _Hang(BaseException):
    """Raised by the alarm: BaseException, so no `except Exception` in smopt swallows it."""


# ---- helpers ----------------------------------------------------------------------------
def digest(path):
    """Digest of a file, a directory tree (names and bytes) or of absence."""
    h = hashlib.sha256()
    if not os.path.lexists(path):
        return "absent"
    if os.path.islink(path):
        return "link:" + os.readlink(path)
    if os.path.isfile(path):
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    for root, dirs, files in sorted(os.walk(path)):
        dirs.sort()
        for name in sorted(files):
            p = os.path.join(root, name)
            h.update(os.path.relpath(p, path).encode())
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()


def leftovers(d):
    """Temporaries smopt makes beside its outputs (`.name.smopt-...`), left in directory d."""
    if not os.path.isdir(d):
        return []
    return sorted(n for n in os.listdir(d) if ".smopt-" in n)


def lit_chunks():
    chunks = []
    for root, dirs, files in os.walk(os.path.join(ROOT, "lit_tests")):
        dirs[:] = sorted(d for d in dirs if d != "Output")
        for name in sorted(files):
            if name.endswith(".mlir"):
                with open(os.path.join(root, name), encoding="utf-8") as f:
                    text = f.read()
                chunks += [c for c in text.split("// -----\n") if "func.func" in c and len(c) < 20000]
    return chunks


# ---- text mutations ---------------------------------------------------------------------
TOKENS = ["tensor<", "tensor<*x", "tensor<?x", ">", "<", "{", "}", "[", "]", "(", ")", "%0", "%1#3", "%ctl_0",
          "%x", "@f", "@\"q\"", '"', '\\', ",", ":", "=", "->", "x", "?", "*", "-", "0x", "dense<", "dense<\"0x",
          "#tf_type.shape<", "#tf_type.func<@f, {}>", "#tf_type.tensor_proto<\"0x08\"> : tensor<f32>",
          "!tf_executor.control", "!quant.uniform<i8:f32", "!quant.uniform<i8:f32:1, {", "!tf_type.resource<",
          "!tf_type.variant", "complex<", "f32", "bf16", "i1", "ui64", "f8E4M3FN", "!tf_type.string",
          '"tf.NoOp"()', '"tf.If"', '"tf.PartitionedCall"', '"tf.Const"', "loc(", "loc(\"a\")", "return",
          "func.func @g() -> () {", "tf.graph {", "module {", "module attributes {", "attributes {",
          '"tf_saved_model.signature"() {}', '"tf_saved_model.variable"()', '"tf_saved_model.meta_graph"()',
          "99999999999999999999", "-1", "nan", "inf", "1e999", "0.0", "-0", "\u0663", "\u00b2", "\u00e9",
          "\x00", "\ufeff", "\n", " ", "// -----\n", "%0:2", "%0:0", "private",
          "dense<1.0> : tensor<2147483648xf32>", "dense<\"0x0000803F\"> : tensor<65536x65536xf32>",
          # MLIR's own spellings (what MLIR prints back): generic ops, regions, location aliases
          '"tf.graph"() ({', "}) : () -> ()", '"func.func"() <{', '"func.return"(', "^bb0(", "^bb0:",
          "#loc1", "loc(#loc1)", '#loc1 = loc("x")\n', "loc(unknown)", 'loc("f":1:2)', "0x7FC00000 : f32",
          "0xFFFFFFFFFFFFFFFFFF : f32", "dense<>", "(1.0,2.0)", " : i64", "() -> ()", "function_type = ",
          "arg_attrs = ", "<{", "}>", "tf._user_specified_name"]
NUMBERS = ["0", "1", "-1", "2", "3", "7", "255", "256", "65536", "2147483648", "9223372036854775808",
           "-9223372036854775809", "1e308", "1.5", "-0.0", "\u0663"]


def mutate_text(rng, text):
    for _ in range(rng.randint(1, 4)):
        n = len(text)
        op = rng.randrange(9)
        i = rng.randrange(n + 1)
        if op == 0 and n:                                   # replace a character
            text = text[:i] + rng.choice(TOKENS)[:1] + text[i + 1:]
        elif op == 1 and n:                                 # delete a span
            text = text[:i] + text[i + rng.randint(1, 20):]
        elif op == 2 and n:                                 # duplicate a span
            j = min(n, i + rng.randint(1, 60))
            text = text[:j] + text[i:j] + text[j:]
        elif op == 3:                                       # insert a token
            text = text[:i] + rng.choice(TOKENS) + text[i:]
        elif op == 4:                                       # swap two lines
            lines = text.split("\n")
            a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
        elif op == 5:                                       # replace a number
            import re
            nums = list(re.finditer(r"\d+", text))
            if nums:
                m = rng.choice(nums)
                text = text[:m.start()] + rng.choice(NUMBERS) + text[m.end():]
        elif op == 6:                                       # deep nesting
            k = rng.choice([5, 99, 100, 101, 600, 5000, 50000])
            o, c = rng.choice([("[", "]"), ("{a = ", "}"), ("tensor<!tf_type.resource<", ">>"),
                               ("complex<", ">"), ("#tf_type.func<@f, {a = ", "}>")])
            text = text[:i] + o * k + "1" + c * k + text[i:]
        elif op == 7 and n:                                 # truncate
            text = text[:i]
        else:                                               # a random byte-ish character
            text = text[:i] + chr(rng.choice([0, 7, 0x7F, 0x85, 0xA0, 0x2028, 0xD7FF, rng.randrange(0x30000)])) + text[i:]
    return text


# ---- SavedModel mutations -----------------------------------------------------------------
OPS = ["NoOp", "Identity", "Const", "MatMul", "If", "While", "PartitionedCall", "StatefulPartitionedCall",
       "ReadVariableOp", "VarHandleOp", "NoSuchOp", "Placeholder", "Reshape", "Switch", "Merge", "Enter", ""]


def _nodes(mg):
    out = [(None, n) for n in mg.graph_def.node]
    for f in mg.graph_def.library.function:
        out += [(f, n) for n in f.node_def]
    return out


def mutate_saved_model(rng, sm):
    """Apply 1-3 structural mutations to a SavedModel message (in place)."""
    mg = sm.meta_graphs[0]
    for _ in range(rng.randint(1, 3)):
        nodes = _nodes(mg)
        fn, nd = rng.choice(nodes) if nodes else (None, None)
        op = rng.randrange(14)
        if nd is None:
            continue
        if op == 0:
            nd.op = rng.choice(OPS)
        elif op == 1 and nd.input:
            k = rng.randrange(len(nd.input))
            nd.input[k] = rng.choice([nd.input[k] + ":zz", nd.input[k] + ":99", nd.input[k].split(":")[0] + ":x:y:z",
                                      "^missing", "missing:0", "", ":", "^", nd.name, nd.input[k] + ":-1"])
        elif op == 2 and nd.attr:
            key = rng.choice(sorted(nd.attr))
            av = nd.attr[key]
            kind = av.WhichOneof("value")
            if kind == "type":
                av.type = rng.choice([0, 77, 101, 120, 200, 24, 31, 20, 21])
            elif kind == "s":
                av.s = rng.choice([b"", b"\xff\xfe", b"x" * 1000, b"missing_function"])
            elif kind == "i":
                av.i = rng.choice([-1, 0, 2 ** 62, -(2 ** 63)])
            elif kind == "shape":
                av.shape.dim.add().size = rng.choice([-5, 0, 2 ** 40])
            elif kind == "func":
                av.func.name = rng.choice(["missing", "", fn.signature.name if fn else "x"])
            elif kind == "list":
                av.list.i.append(rng.choice([-1, 2 ** 40]))
                av.list.type.append(rng.choice([0, 77, 101]))
            else:
                av.Clear()
        elif op == 3 and "value" in nd.attr and nd.attr["value"].HasField("tensor"):
            t = nd.attr["value"].tensor
            sub = rng.randrange(6)
            if sub == 0:
                t.tensor_shape.Clear()
                for _ in range(rng.randint(0, 4)):
                    t.tensor_shape.dim.add().size = rng.choice([-1, 0, 1, 3, 2 ** 20, 2 ** 40])
            elif sub == 1:
                t.tensor_content = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 3, 7, 64])))
            elif sub == 2:
                t.dtype = rng.choice([0, 7, 20, 21, 77, 101, 14, 29])
            elif sub == 3:
                t.ClearField("tensor_content")
                t.string_val.extend([b"a", b"\xff"])
            elif sub == 4:
                t.tensor_shape.unknown_rank = True
            else:
                t.version_number = -1
        elif op == 4:
            (fn.node_def if fn else mg.graph_def.node).remove(nd)
        elif op == 5:
            (fn.node_def if fn else mg.graph_def.node).add().CopyFrom(nd)
        elif op == 6 and fn is not None and fn.signature.input_arg:
            a = rng.choice(fn.signature.input_arg)
            sub = rng.randrange(4)
            if sub == 0:
                a.type = rng.choice([0, 101, 77])
            elif sub == 1:
                a.type_attr = "T"
            elif sub == 2:
                a.name = rng.choice(["", nd.name, "x:0"])
            else:
                a.handle_data.add().dtype = rng.choice([0, 77])
        elif op == 7 and fn is not None and fn.ret:
            key = rng.choice(sorted(fn.ret))
            fn.ret[key] = rng.choice(["missing:output:0", nd.name + ":zz:0", "", "x"])
        elif op == 8 and mg.signature_def:
            sd = mg.signature_def[rng.choice(sorted(mg.signature_def))]
            infos = list(sd.inputs.values()) + list(sd.outputs.values())
            if infos:
                ti = rng.choice(infos)
                sub = rng.randrange(3)
                if sub == 0:
                    ti.name = rng.choice(["", "missing:0", "x:y:z"])
                elif sub == 1:
                    ti.dtype = rng.choice([0, 77, 101])
                else:
                    ti.tensor_shape.dim.add().size = -7
        elif op == 9 and mg.object_graph_def.nodes:
            og = mg.object_graph_def
            node = rng.choice(og.nodes)
            sub = rng.randrange(4)
            if sub == 0 and node.children:
                node.children[0].node_id = rng.choice([len(og.nodes), 10 ** 6, 0])
            elif sub == 1 and node.WhichOneof("kind") == "variable":
                node.variable.dtype = rng.choice([0, 77, 101, 7])
            elif sub == 2 and node.WhichOneof("kind") == "variable":
                node.variable.shape.dim.add().size = rng.choice([-1, 5, 2 ** 40])
            elif og.concrete_functions:
                cf = og.concrete_functions[rng.choice(sorted(og.concrete_functions))]
                cf.bound_inputs.append(rng.choice([10 ** 6, len(og.nodes)]))
        elif op == 10:
            mg.meta_info_def.function_aliases[rng.choice(["missing", fn.signature.name if fn else "x"])] = "a"
        elif op == 11:
            nd.name = rng.choice(["", "x:0", "^a", nd.name + "/" * 3, "dup"])
        elif op == 12:
            mg.meta_info_def.stripped_op_list.op.add().name = rng.choice(["MatMul", "NoSuchOp", ""])
        else:
            nd.input.append(rng.choice(["^" + nd.name, nd.name, "^dup"]))
    return sm


def mutate_bytes(rng, data):
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(3)
        i = rng.randrange(len(b)) if b else 0
        if op == 0 and b:
            b[i] = rng.randrange(256)
        elif op == 1:
            del b[i:i + rng.randint(1, 64)]
        else:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(b)


# ---- option texts ------------------------------------------------------------------------
OPTION_TEXTS = [
    IDENTITY, TPU, "",
    'tpu_functions { function_alias: "tpu_func" } batch_options { num_batch_threads: 2 max_batch_size: 8 '
    'allowed_batch_sizes: 8 batch_timeout_micros: 0 }',
    'tpu_functions { signature_name: "serving_default" } bfloat16_optimization: DISABLED',
    'tpu_functions { function_alias: "tpu_func" } bfloat16_optimization_options { scope: ALL filterlist: "Relu" }',
    'tpu_functions { function_alias: "tpu_func" } xla_sharding_options { num_cores_per_replica: 2 }',
    'tpu_functions { jit_compile_functions: true } io_shape_optimization: ENABLED',
    'external_feature_configs { quantization_options { quantization_method { preset_method: '
    'METHOD_DYNAMIC_RANGE_INT8 } } }',
    'external_feature_configs { quantization_options { quantization_method { preset_method: '
    'METHOD_STATIC_RANGE_WEIGHT_ONLY_INT8 } signature_keys: "serving_default" } }',
    'batch_options { experimental { signature_name: "serving_default" } max_batch_size: 4 allowed_batch_sizes: 4 }',
]
OPTION_TOKENS = ["tpu_functions {", "function_alias:", '"a,b"', '"\\xff"', "batch_options {", "max_batch_size:",
                 "-1", "2147483648", "allowed_batch_sizes: 0", "}", "{", ":", '"', "'", "\\", "ENABLED", "ALL",
                 "disable_default_optimizations=True", "external_feature_configs {", "quantization_options {",
                 "debugger_config { }", "calibration_options { calibration_method: 7 }", "op_set: 3",
                 "signature_keys: 'nope'", "\\\n", "#", "\u00e9", "num_cores_per_replica: 3", "topology: 'xx'"]


def mutate_options(rng, text):
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(text) + 1)
        if rng.random() < 0.6:
            text = text[:i] + " " + rng.choice(OPTION_TOKENS) + " " + text[i:]
        else:
            text = mutate_text(rng, text) if text else rng.choice(OPTION_TOKENS)
    return text


# ---- pipelines ---------------------------------------------------------------------------
def random_value(rng, option, case_dir):
    if option.name in ("output", "json", "report"):
        return rng.choice(["-", os.path.join(case_dir, "rep.txt"), os.path.join(case_dir, "missing", "r.txt"),
                           case_dir])
    t = option.type
    if option.choices and rng.random() < 0.7:
        return rng.choice(option.choices)
    if t is int:
        return rng.choice(["0", "1", "-1", "2", "8", "1024", "2147483648", "x", "0x10"])
    if t is float:
        return rng.choice(["0", "0.5", "-1", "1e9", "nan", "inf", "x", "1.0"])
    if t is bool:
        return rng.choice(["true", "false", "", "maybe"])
    if t == "list[int]":
        return rng.choice(["1,2", "8", "", ",", "-1", "x", "99999999999"])
    return rng.choice(["", "x", "a,b", "'q'", "serving_default", "tpu_func", "Relu", "all", "cpu", "tpu",
                       "weight_only", os.path.join(case_dir, "nofile.json")])


def random_pipeline(rng, case_dir):
    from smopt.passes.framework.registry import load_all
    names = sorted(n for n in load_all() if not n.startswith("test-"))
    items = []
    for _ in range(rng.randint(1, 4)):
        cls = load_all()[rng.choice(names)]
        opts = [f"{o.name}={random_value(rng, o, case_dir)}" for o in cls.options if rng.random() < 0.4]
        items.append(cls.name + ("{" + " ".join(opts) + "}" if opts else ""))
    return ",".join(items)


# ---- cases -------------------------------------------------------------------------------
class Case:
    def __init__(self, kind, tool, argv, inputs=(), outputs=(), note=""):
        self.kind, self.tool, self.argv = kind, tool, argv
        self.inputs = list(inputs)     # must be byte-identical afterwards
        self.outputs = list(outputs)   # must be as before when the run fails
        self.note = note


class Fuzzer:
    def __init__(self, seed, model_dir, work):
        self.seed = seed
        self.model = model_dir         # the pristine example SavedModel (never modified)
        self.work = work
        self.chunks = lit_chunks()

    def case(self, index):
        rng = random.Random(f"{self.seed}:{index}")
        kinds = sorted(KINDS)
        kind = rng.choices(kinds, [KINDS[k] for k in kinds])[0]
        d = os.path.join(self.work, f"case{index}")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        return getattr(self, "_" + kind)(rng, d)

    def _copy_model(self, d):
        m = os.path.join(d, "model")
        shutil.copytree(self.model, m, symlinks=True)
        return m

    def _ir(self, rng, d):
        text = mutate_text(rng, rng.choice(self.chunks))
        src = os.path.join(d, "in.mlir")
        with open(src, "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(text)
        out = os.path.join(d, "out.mlir")
        argv = [src, "-o", out]
        if rng.random() < 0.5:
            argv += ["-p", rng.choice(["canonicalize,cse,dce", "inline,symbol-dce", "merge-functions",
                                       "call-graph", "tpu-check-indirect-calls"])]
        return Case("ir", "smopt", argv, [src], [out])

    def _pipeline(self, rng, d):
        src = os.path.join(d, "in.mlir")
        with open(src, "w", encoding="utf-8") as f:
            f.write(rng.choice(self.chunks))
        out = os.path.join(d, "out.mlir")
        pipeline = random_pipeline(rng, d)
        return Case("pipeline", "smopt", [src, "-p", pipeline, "-o", out], [src], [out], pipeline)

    def _saved_model(self, rng, d):
        from smopt.compiler import tfproto
        m = self._copy_model(d)
        pb = os.path.join(m, "saved_model.pb")
        with open(pb, "rb") as f:
            data = f.read()
        if rng.random() < 0.2:
            data = mutate_bytes(rng, data)
        else:
            sm = tfproto.SavedModel()
            sm.ParseFromString(data)
            data = mutate_saved_model(rng, sm).SerializeToString()
        with open(pb, "wb") as f:
            f.write(data)
        if rng.random() < 0.75:
            out = os.path.join(d, "out.mlir")
            return Case("saved_model", "smopt", [m, "-o", out], [m], [out])
        out = os.path.join(d, "out")
        return Case("saved_model", "smopt-convert", ["--input_model_dir", m, "--output_model_dir", out,
                                                     "--converter_options_string", rng.choice([IDENTITY, TPU])],
                    [m], [out])

    def _variables(self, rng, d):
        m = self._copy_model(d)
        vdir = os.path.join(m, "variables")
        name = rng.choice(sorted(os.listdir(vdir)))
        p = os.path.join(vdir, name)
        with open(p, "rb") as f:
            data = f.read()
        if rng.random() < 0.2:
            os.unlink(p)
        else:
            with open(p, "wb") as f:
                f.write(mutate_bytes(rng, data))
        out = os.path.join(d, "out")
        return Case("variables", "smopt-convert", ["--input_model_dir", m, "--output_model_dir", out,
                                                   "--converter_options_string", rng.choice([IDENTITY, TPU])],
                    [m], [out], name)

    def _options(self, rng, d):
        text = rng.choice(OPTION_TEXTS)
        if rng.random() < 0.8:
            text = mutate_options(rng, text)
        out = os.path.join(d, "out")
        argv = ["--input_model_dir", self.model, "--output_model_dir", out]
        if rng.random() < 0.3:
            p = os.path.join(d, "opts.txt")
            with open(p, "wb") as f:
                f.write(mutate_bytes(rng, text.encode("utf-8", "surrogatepass")) if rng.random() < 0.3
                        else text.encode("utf-8", "surrogatepass"))
            argv += ["--converter_options_file", p]
        else:
            argv += ["--converter_options_string", text]
        if rng.random() < 0.7:
            argv.append("--print_pipeline")
        else:
            argv += ["--target", "cpu"]
        return Case("options", "smopt-convert", argv, [self.model], [out], text)

    def _paths(self, rng, d):
        m = self._copy_model(d)
        keep = os.path.join(d, "beside.txt")
        afile = os.path.join(d, "afile")
        for p in (keep, afile):
            with open(p, "w") as f:
                f.write("keep\n")
        os.symlink(m, os.path.join(d, "link"))
        os.symlink(os.path.join(d, "loop"), os.path.join(d, "loop"))
        os.symlink(os.path.join(d, "nowhere"), os.path.join(d, "dangling"))
        full = os.path.join(d, "full")
        os.makedirs(full)
        with open(os.path.join(full, "x"), "w") as f:
            f.write("x\n")
        os.makedirs(os.path.join(d, "empty"))
        kinds = {"new": os.path.join(d, "out"), "empty-dir": os.path.join(d, "empty"), "full-dir": full,
                 "file": afile, "under-file": os.path.join(afile, "out"),
                 "deep-missing": os.path.join(d, "a", "b", "c", "out"), "input": m,
                 "inside-input": os.path.join(m, "new"), "inside-input-vars": os.path.join(m, "variables"),
                 "parent-of-input": d, "symlink-to-input": os.path.join(d, "link"),
                 "inside-symlink": os.path.join(d, "link", "x"), "loop": os.path.join(d, "loop"),
                 "under-loop": os.path.join(d, "loop", "x"), "dangling": os.path.join(d, "dangling"),
                 "trailing-slash": os.path.join(d, "out") + "/", "empty-string": ""}
        kind = rng.choice(sorted(kinds))
        target = kinds[kind]
        tool = rng.choice(["smopt", "smopt-convert", "smopt-optimize"])
        extra = rng.choice([None, "--dump_dir", "--print-ir-tree-dir", "--reproducer"])
        if tool == "smopt" and extra == "--dump_dir":
            extra = "--print-ir-tree-dir"
        flags = [extra, kinds[rng.choice(sorted(kinds))]] if extra else []
        if tool != "smopt" and rng.random() < 0.5:
            flags.append("--overwrite")
        if tool == "smopt":
            argv = [m, "-o", target, "-p", "cse"] + flags
        else:
            argv = ["--input_model_dir", m, "--output_model_dir", target] + flags
            if tool == "smopt-convert":
                argv += ["--converter_options_string", rng.choice([IDENTITY, TPU])]
        named = {target} | set(flags[1:2])
        inputs = [m, keep] + [p for p in (afile, os.path.join(full, "x")) if p not in named and full not in named]
        outs = [target] if kind in ("new", "deep-missing", "trailing-slash", "empty-dir", "full-dir") else []
        return Case("paths", tool, argv, [p for p in inputs if p != target], outs, kind)


# ---- running and classifying ------------------------------------------------------------
def run_main(tool, argv, timeout):
    """(exit status or 'usage'/'hang'/'raised', stdout, stderr) of the tool run in-process."""
    import importlib
    mod = importlib.import_module({"smopt": "smopt.tools.smopt", "smopt-convert": "smopt.tools.smopt_convert",
                                   "smopt-optimize": "smopt.tools.smopt_optimize"}[tool])
    out, err = io.StringIO(), io.StringIO()

    def alarm(*_):
        raise _Hang()

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = mod.main(list(argv))
            except SystemExit as e:
                rc = "usage" if e.code == 2 else e.code
    except _Hang:
        rc = "hang"
    except BaseException:  # noqa: BLE001 - an escaped exception is what we look for
        rc = "raised"
        err.write(traceback.format_exc())
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return rc, out.getvalue(), err.getvalue()


def classify(case, rc, err, before_in, before_out, stray=()):
    lines = [l for l in err.splitlines() if l.strip()]
    if any(digest(p) != before_in[p] for p in case.inputs):
        return "input modified"
    if stray:
        return "stray file"
    if rc == "hang":
        return "hang"
    if rc == "raised" or rc == 2 or "Traceback (most recent call last)" in err or "internal error" in err:
        return "traceback"
    dirs = {os.path.dirname(os.path.abspath(p.rstrip("/") or ".")) for p in case.outputs}
    if any(leftovers(x) for x in dirs):
        return "partial output"
    if rc == 0:
        return "accepted"
    if rc == "usage":
        return "usage error"
    if any(digest(p) != before_out[p] for p in case.outputs):
        return "partial output"
    if len(lines) != 1:
        return "noisy error"
    if "crashed with" in lines[0]:
        return "pass crash"
    return "clean error"


def run_case(fz, index, timeout=30.0):
    case = fz.case(index)
    before_in = {p: digest(p) for p in case.inputs}
    before_out = {p: digest(p) for p in case.outputs}
    # Every case path is absolute; the run's working directory is empty and must stay so
    # (a report named `-` once landed there as a file).
    cwd = os.path.join(fz.work, "cwd")
    shutil.rmtree(cwd, ignore_errors=True)
    os.makedirs(cwd)
    old = os.getcwd()
    os.chdir(cwd)
    t0 = time.perf_counter()
    try:
        rc, _, err = run_main(case.tool, case.argv, timeout)
    finally:
        os.chdir(old)
    stray = sorted(os.listdir(cwd))
    if stray:
        err += f"\n(left in the working directory: {', '.join(stray)})"
    outcome = classify(case, rc, err, before_in, before_out, stray)
    return case, outcome, rc, err, time.perf_counter() - t0


def build_model(path):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from smopt.compiler import examples
    examples.build_alias_model(path)
    return path


def fuzz(seed, cases, model_dir=None, work=None, start=0, log=None, timeout=30.0):
    """Run cases [start, start+cases); returns ({outcome: count}, [(index, case, outcome, stderr)] bad)."""
    own = work is None
    work = work or tempfile.mkdtemp(prefix="smopt-fuzz-")
    try:
        model_dir = model_dir or build_model(os.path.join(work, "pristine"))
        fz = Fuzzer(seed, model_dir, work)
        counts, bad, crashes = {}, [], []
        for i in range(start, start + cases):
            case, outcome, rc, err, secs = run_case(fz, i, timeout)
            counts[outcome] = counts.get(outcome, 0) + 1
            if outcome in BAD:
                bad.append((i, case, outcome, err))
            elif outcome == "pass crash":
                crashes.append((i, case, outcome, err))
            if log is not None:
                log.write(f"{i:6d} {case.kind:12s} {outcome:15s} {secs:6.2f}s {err.strip().splitlines()[-1][:150] if err.strip() else ''}\n")
            shutil.rmtree(os.path.join(work, f"case{i}"), ignore_errors=True)
        return counts, bad, crashes
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--start", type=int, default=0, help="first case index")
    ap.add_argument("--case", type=int, help="replay this one case")
    ap.add_argument("--show", action="store_true", help="print each case's command and stderr")
    ap.add_argument("--log", action="store_true", help="one line per case")
    args = ap.parse_args(argv)
    start, n = (args.case, 1) if args.case is not None else (args.start, args.cases)
    from smopt.tools.smopt import quiet_tensorflow
    quiet_tensorflow()  # building the example model imports TensorFlow
    t0 = time.perf_counter()
    counts, bad, crashes = fuzz(args.seed, n, start=start, log=sys.stdout if args.log or args.show else None)
    for i, case, outcome, err in bad + (crashes if args.show else []):
        print(f"--- case {i} ({case.kind}, {outcome}): {case.tool} {' '.join(map(repr, case.argv))}")
        if case.note:
            print(f"    note: {case.note!r}"[:400])
        print("    " + err.strip().replace("\n", "\n    ")[-3000:])
    print(f"smopt fuzz: seed {args.seed}, {n} cases in {time.perf_counter() - t0:.0f} s: " +
          ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
