"""The example pass in docs/architecture.md runs as written. No TensorFlow."""
from __future__ import annotations

import os
import re

from smopt.compiler.pass_manager import Instrumentation, PassManager
from smopt.ir import parse_module, print_module
from smopt.passes.framework import registry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

IR = """
func.func @f(%x: tensor<3xf32>) -> (tensor<3xf32> {tf.name = "r"}) {
  %0 = "tf.Square"(%x) {T = f32} : (tensor<3xf32>) -> tensor<3xf32> loc("sq")
  %1 = "tf.Square"(%0) {T = f32} : (tensor<3xf32>) -> tensor<3xf32> loc("sq2")
  return %1 : tensor<3xf32>
}
"""


def _example_source():
    with open(os.path.join(ROOT, "docs", "architecture.md")) as f:
        text = f.read()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 1, "docs/architecture.md should hold one python example"
    return blocks[0]


def test_example_pass_runs():
    registry.load_all()
    before = dict(registry.REGISTRY)
    namespace = {"__name__": "architecture_example"}
    try:
        exec(compile(_example_source(), "docs/architecture.md", "exec"), namespace)
        (p,) = registry.parse_pipeline("square-as-mul{max-iterations=2}")
        module = parse_module(IR)
        pm = PassManager([p], Instrumentation(statistics=True))
        pm.run(module)
        text = print_module(module)
        assert '"tf.Square"' not in text
        assert '%0 = "tf.Mul"(%x, %x) {T = f32} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32> loc("sq")' in text
        assert '%1 = "tf.Mul"(%0, %0)' in text
        assert p.stats["num-rewritten"] == 2
        assert "(S) 2 num-rewritten - Number of Square ops rewritten" in pm.statistics_report()
        assert "square-as-mul: compute Square(x) as Mul(x, x)" in registry.describe_all(verbose=True)
    finally:
        registry.REGISTRY.clear()
        registry.REGISTRY.update(before)
