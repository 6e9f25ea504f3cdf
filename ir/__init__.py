"""smopt's dataflow IR. Pure Python + numpy: this package never imports TensorFlow."""
from smopt.ir import types
from smopt.ir.attributes import DenseElements, Elided, FuncAttr, OpaqueTensor, Placeholder, ShapeAttr
from smopt.ir.builder import Builder
from smopt.ir.callgraph import GRAPH, CallGraph
from smopt.ir.core import (CALL_OPS, Argument, Asset, ControlToken, Function, Module, Op, OpResult,
                   Signature, Value, Variable, clone_op, clone_ops_into, make_const)
from smopt.ir.parser import ParseError, parse_attr, parse_module, parse_type
from smopt.ir.printer import print_function, print_module
from smopt.ir.rewrite import PatternRewriter, RewritePattern, RewriteResult, apply_patterns_greedily
from smopt.ir.types import CONTROL, DType, QuantizedType, TensorType
from smopt.ir.verifier import VerificationError, verify

__all__ = [n for n in dir() if not n.startswith("_")]
