"""smopt's text is MLIR: MLIR's own parser (jaxlib's bindings, unregistered dialects allowed)
parses and verifies every module smopt prints, and smopt reads what MLIR prints back, in the
generic form and in the custom one, into the same module (printing it again gives the text
smopt printed first).

MLIR keeps node and argument names in locations, so MLIR prints with debug info
(`enable_debug_info=True`, mlir-opt's `--mlir-print-debuginfo`); without it the names are
lost (MLIR numbers the values), and smopt still reads the text.

Inputs: every chunk of every lit test input that smopt parses, and every SavedModel the
tests build (the `build_*` functions of tests/models_*.py and compiler/examples.py, and the
Keras application MobileNetV2), lifted and after pipelines that outline XLA clusters, TPU
functions and TPU call stubs (for these, MLIR's generic form only: they are large).
"""
import difflib
import glob
import importlib
import inspect
import os
import sys

import pytest

from smopt.compiler import model_io as smio
from smopt.ir import ParseError, parse_module, print_module

ir = pytest.importorskip("jaxlib.mlir.ir")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIT = os.path.join(ROOT, "lit_tests")


def mlir_context():
    """An MLIR context with the upstream dialects (func among them) and unregistered ones."""
    try:
        from jax._src.interpreters.mlir import make_ir_context
        ctx = make_ir_context()
    except ImportError:  # jaxlib alone
        from jaxlib.mlir._mlir_libs import _jax_mlir_ext
        registry = ir.DialectRegistry()
        _jax_mlir_ext.register_dialects(registry)
        ctx = ir.Context()
        ctx.append_dialect_registry(registry)
        ctx.load_all_available_dialects()
    ctx.allow_unregistered_dialects = True
    return ctx


def _diff(want, got, what):
    lines = list(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "smopt", what, n=1))
    return "".join(lines[:40])


def check_mlir_interop(text, name, thorough=True):
    """MLIR parses and verifies `text`; smopt reads MLIR's generic print of it (and, when
    `thorough`, its custom print and the generic print without debug info) back into the
    same module. Returns MLIR's generic print."""
    with mlir_context():
        try:
            module = ir.Module.parse(text)
        except ir.MLIRError as e:
            pytest.fail(f"{name}: MLIR's parser rejects smopt's text: {e}")
        assert module.operation.verify(), f"{name}: MLIR's verifier rejects smopt's text"
        generic = module.operation.get_asm(print_generic_op_form=True, enable_debug_info=True)
        custom = module.operation.get_asm(enable_debug_info=True)
        bare = module.operation.get_asm(print_generic_op_form=True)
    for form, out in (("generic", generic), ("custom", custom))[:2 if thorough else 1]:
        again = print_module(parse_module(out, f"{name} (MLIR's {form} form)"))
        assert again == text, f"{name}: MLIR's {form} form reads back differently\n" + \
            _diff(text, again, f"via MLIR's {form} form")
    if not thorough:
        return generic
    # Without debug info the names are gone, the module is the same otherwise.
    m = parse_module(bare, f"{name} (MLIR's generic form, no debug info)")
    first = parse_module(text, name)
    assert [len(f.ops) for f in m.all_functions()] == [len(f.ops) for f in first.all_functions()]
    assert [[op.type for op in f.ops] for f in m.all_functions()] == \
        [[op.type for op in f.ops] for f in first.all_functions()]
    return generic


# ---- lit inputs ----------------------------------------------------------------------------
def _lit_files():
    out = []
    for path in sorted(glob.glob(os.path.join(LIT, "**", "*.mlir"), recursive=True)):
        if os.sep + "Output" + os.sep not in path:
            out.append(os.path.relpath(path, LIT))
    return out


@pytest.mark.parametrize("rel", _lit_files())
def test_lit_inputs_are_mlir(rel):
    path = os.path.join(LIT, rel)
    with open(path) as f:
        text = f.read()
    checked = 0
    for chunk, offset in smio.split_chunks(text):
        try:
            printed = print_module(parse_module(chunk, path, offset))
        except ParseError:
            continue  # the parse-error tests
        check_mlir_interop(printed, f"{rel}:{offset + 1}")
        checked += 1
    if rel != os.path.join("ir", "parse-errors.mlir"):
        assert checked, f"no chunk of {rel} parses"


def test_mlir_text_reads_into_the_same_module():
    """A hand-checked case: what MLIR prints (locations as aliases after the module, values
    numbered, control tokens as the last result of a group, properties of func.func,
    `1.000000e-01 : f64`, NaN in hex) reads back into smopt's module."""
    text = print_module(parse_module('''
func.func @f(%x: tensor<2xf32> {_user_specified_name = "x"}) -> (tensor<2xf32> {tf.name = "y"}) attributes {tf.control_ret_names = ["done"]} {
  %0, %c = "tf.Relu"(%x) {T = f32, a = 0.1, b = [0x7FC00000 : f32]} : (tensor<2xf32>) -> (tensor<2xf32>, !tf_executor.control) loc("relu")
  %1 = "tf.Const"() {dtype = complex<f32>, value = dense<"0x0000803F00000040"> : tensor<1xcomplex<f32>>} : () -> tensor<1xcomplex<f32>> loc("c")
  return %0, %c : tensor<2xf32>, !tf_executor.control
}'''))
    assert "(tensor<2xf32> {tf.name = \"y\"}, !tf_executor.control) attributes " \
        "{tf.control_ret_names = [\"done\"]}" in text
    assert "%x: tensor<2xf32> {tf._user_specified_name = \"x\"} loc(\"x\")" in text
    generic = check_mlir_interop(text, "hand-written")
    assert '"func.func"() <{' in generic and "#loc" in generic and "1.000000e-01 : f64" in generic
    assert "dense<(1.000000e+00,2.000000e+00)>" in generic


def test_smopt_text_before_mlir_interop_still_reads():
    """Files written before the text became MLIR (signature types as operand types, `tf.graph
    {`, `sym_name`, undeclared control results) read into the module they meant."""
    old = '''
"tf_saved_model.signature"() {sym_name = "s", function = @f, method_name = "", input_names = ["x"], input_tensors = ["x:0"], output_names = ["y"], output_tensors = ["c:0"]} : (tensor<f32>) -> (tensor<f32>)
"tf_saved_model.alias"() {sym_name = "tpu_func", function = @f} : () -> ()
"tf_saved_model.variable"() {sym_name = "v", name = "v", checkpoint_key = "k", node_id = 1, trainable = false} : () -> tensor<f32>
tf.graph {
  %x = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<>} : () -> tensor<f32> loc("x")
  %0 = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @f} : (tensor<f32>) -> tensor<f32> loc("c")
}
func.func @f(%x: tensor<f32> {_user_specified_name = "x"}) -> (tensor<f32> {tf.name = "y"}) {
  %0, %c = "tf.Neg"(%x) {T = f32} : (tensor<f32>) -> (tensor<f32>, !tf_executor.control) loc("n")
  return %0, %c : tensor<f32>, !tf_executor.control
}'''
    m = parse_module(old)
    assert m.signatures["s"].inputs[0][2].shape == () and m.aliases == {"tpu_func": ["f"]}
    assert m.variables[0].path == "v" and str(m.variables[0].type) == "tensor<f32>"
    assert [n for n, _ in m.functions["f"].control_rets] == ["n"]
    assert m.functions["f"].args[0].attrs == {"_user_specified_name": "x"}
    check_mlir_interop(print_module(m), "pre-MLIR text")


# ---- the models the tests build ------------------------------------------------------------
# Pipelines run on each lifted model: they add XLA cluster functions, TPU functions, stubs.
PIPELINES = {
    "lift": "",
    "xla-cluster": "inline,canonicalize,cse,dce,xla-cluster",
    "auto-partition": "inline,canonicalize,cse,dce,tpu-auto-partition,tpu-insert-call-stubs",
}


def _builders():
    """(key, build(path)) for every SavedModel the tests build from a path alone."""
    sys.path.insert(0, ROOT)
    from smopt.compiler import examples
    out = [(f"examples.{n}", b) for n, b in examples.EXAMPLES.items()]
    out.append(("examples.MobileNetV2", lambda p: examples.build_keras_application(p, "MobileNetV2")))
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "models_*.py"))):
        modname = os.path.basename(path)[:-3]
        mod = importlib.import_module(f"tests.{modname}")
        seen = set()
        for table in ("MODELS", "BUILDERS", "CAPTURE_MODELS"):
            for name, build in sorted(getattr(mod, table, {}).items()):
                build = build[0] if isinstance(build, tuple) else build
                seen.add(build)
                out.append((f"{modname}.{name}", build))
        for name, fn in sorted(vars(mod).items()):
            if name.startswith("build_") and inspect.isfunction(fn) and fn not in seen \
                    and fn.__module__ == mod.__name__ and _path_only(fn):
                out.append((f"{modname}.{name[len('build_'):]}", fn))
    return out


def _path_only(fn):
    params = list(inspect.signature(fn).parameters.values())
    return bool(params) and all(p.default is not p.empty for p in params[1:])


@pytest.fixture(scope="module")
def built_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("interop_models")
    cache = {}

    def get(key, build):
        if key not in cache:
            path = str(root / key)
            build(path)
            cache[key] = path
        return cache[key]

    return get


@pytest.mark.parametrize("key,build", _builders(), ids=lambda x: x if isinstance(x, str) else "")
def test_lifted_models_are_mlir(built_models, key, build):
    from smopt.compiler.importer import import_saved_model
    from smopt.compiler.pass_manager import PassManager
    from smopt.passes.framework.registry import parse_pipeline
    path = built_models(key, build)
    for pname, pipe in PIPELINES.items():
        m = import_saved_model(path)
        if pipe:
            PassManager(parse_pipeline(pipe)).run(m)
        check_mlir_interop(print_module(m), f"{key} ({pname})", thorough=False)
