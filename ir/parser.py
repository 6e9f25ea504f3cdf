"""The text parser: reads everything the printer writes (and hand-written IR for tests).

A recursive-descent parser over characters. Inside a function, operands may refer to values
defined later (as in MLIR graph regions); ops are put in topological order once the body
is read. Errors raise ParseError, whose str() is `file:line:col: error: message`.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from smopt.ir import types as T
from smopt.ir.attributes import DenseElements, Elided, FuncAttr, OpaqueTensor, Placeholder, ShapeAttr
from smopt.ir.core import Asset, CycleError, Function, Module, Op, Signature, Variable

# re.ASCII: `\d` is 0-9 only (a Unicode digit such as '\u0663' or '\u00b2' is not a number here).
_WS = re.compile(r"(?:\s+|//[^\n]*)+", re.ASCII)
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.$\-]*")
_VALUE = re.compile(r"%([A-Za-z0-9_.$\-]+)(?:#(\d+))?", re.ASCII)
_NUMBER = re.compile(r"-?(?:\d+\.\d*(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+)", re.ASCII)
_INT = re.compile(r"-?\d+", re.ASCII)
_DIGITS = re.compile(r"\d+", re.ASCII)
_BUILTIN_ELEM = re.compile(r"(f8E[A-Za-z0-9]+|bf16|f16|f32|f64|ui\d+|i\d+)", re.ASCII)
_TFTYPE = re.compile(r"!tf_type\.([a-z0-9_]+)")
# Attributes, literals and types nest at most this deep: deeper text is refused, since the
# recursive parser, printer and passes would exhaust Python's stack on it.
MAX_NESTING = 100
# Constants are held as arrays: a splat `dense<0.0> : tensor<2147483648x...>` would expand to
# gigabytes. Real constants this large are not written as text.
MAX_DENSE_ELEMENTS = 1 << 28
_TYPE_PREFIXES = ("tensor<", "!quant.uniform<", "complex<", "!tf_type.")


class ParseError(Exception):
    """Malformed IR text; str() is `file:line:col: error: message`."""

    def __init__(self, message: str, filename: str = "<input>", line: int = 1, col: int = 1) -> None:
        super().__init__(message)
        self.message, self.filename, self.line, self.col = message, filename, line, col

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.col}: error: {self.message}"


class _TooDeep(ParseError):
    """Nesting beyond MAX_NESTING: never turned into a vaguer error by a fallback."""


class Parser:
    def __init__(self, text, filename="<input>", line_offset=0):
        self.s = text
        self.pos = 0
        self.filename = filename
        self.line_offset = line_offset
        self._line_starts = None
        self.depth = 0

    def nest(self):
        """Enter one level of attribute/literal/type nesting (leave with `self.depth -= 1`)."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            line, col = self.where()
            raise _TooDeep(f"nesting deeper than {MAX_NESTING} levels", self.filename, line, col)

    # ---- low level ---------------------------------------------------------------------
    def where(self, pos=None):
        pos = self.pos if pos is None else pos
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.s)]
        import bisect
        i = bisect.bisect_right(self._line_starts, pos) - 1
        return i + 1 + self.line_offset, pos - self._line_starts[i] + 1

    def error(self, msg, pos=None):
        line, col = self.where(pos)
        return ParseError(msg, self.filename, line, col)

    def ws(self):
        m = _WS.match(self.s, self.pos)
        if m:
            self.pos = m.end()

    def peek(self, lit):
        self.ws()
        return self.s.startswith(lit, self.pos)

    def accept(self, lit):
        if self.peek(lit):
            self.pos += len(lit)
            return True
        return False

    def expect(self, lit, what=None):
        if not self.accept(lit):
            found = self.s[self.pos:self.pos + 12].split("\n")[0] or "end of input"
            raise self.error(f"expected '{lit}'{' ' + what if what else ''}, found '{found}'")

    def match(self, regex):
        self.ws()
        m = regex.match(self.s, self.pos)
        if m:
            self.pos = m.end()
        return m

    def at_end(self):
        self.ws()
        return self.pos >= len(self.s)

    def ident(self, what="identifier"):
        m = self.match(_ID)
        if not m:
            raise self.error(f"expected {what}")
        return m.group(0)

    def string(self):
        self.ws()
        if not self.s.startswith('"', self.pos):
            raise self.error("expected string literal")
        i = self.pos + 1
        out = bytearray()
        s = self.s
        while True:
            if i >= len(s) or s[i] == "\n":
                raise self.error("unterminated string literal")
            c = s[i]
            if c == '"':
                break
            if c == "\\":
                nxt = s[i + 1:i + 3]
                if re.fullmatch(r"[0-9A-Fa-f]{2}", nxt):
                    out.append(int(nxt, 16))
                    i += 3
                    continue
                esc = {"n": 10, "t": 9, '"': 34, "\\": 92}.get(s[i + 1:i + 2])
                if esc is None:
                    raise self.error("invalid escape in string literal", i)
                out.append(esc)
                i += 2
                continue
            j = i
            while j < len(s) and s[j] not in '"\\\n':
                j += 1
            out += s[i:j].encode("utf-8")
            i = j
        self.pos = i + 1
        b = bytes(out)
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            return b

    def symbol(self):
        self.expect("@")
        if self.s.startswith('"', self.pos):
            name = self.string()
            return name if isinstance(name, str) else name.decode("latin-1")
        m = _ID.match(self.s, self.pos)
        if not m:
            raise self.error("expected symbol name after '@'")
        self.pos = m.end()
        return m.group(0)

    # ---- types -------------------------------------------------------------------------
    def element_type(self):
        self.ws()
        start = self.pos
        if self.accept("!quant.uniform<"):
            return self._quant(start)
        if self.accept("complex<"):
            self.nest()
            inner = self.element_type()
            self.depth -= 1
            self.expect(">")
            name = {"f32": "complex<f32>", "f64": "complex<f64>"}.get(getattr(inner, "mlir", ""))
            if name is None:
                raise self.error("complex element must be f32 or f64", start)
            return T.BY_MLIR[name]
        m = self.match(_TFTYPE)
        if m:
            dt = T.BY_MLIR.get(m.group(0))
            if dt is None:
                raise self.error(f"unknown type '{m.group(0)}'", start)
            return dt
        m = self.match(_BUILTIN_ELEM)
        if m:
            dt = T.BY_MLIR.get(m.group(0))
            if dt is None:
                raise self.error(f"unknown element type '{m.group(0)}'", start)
            return dt
        raise self.error("expected element type")

    def _quant(self, start):
        spos = self.pos
        storage = self.element_type()
        if not isinstance(storage, T.DType) or not storage.is_integer:
            raise self.error(f"quantized storage type must be an integer type, got {getattr(storage, 'mlir', storage)}", spos)
        self.expect(":")
        epos = self.pos
        expressed = self.element_type()
        if not isinstance(expressed, T.DType) or not expressed.is_float:
            raise self.error(f"quantized expressed type must be a float type, got {getattr(expressed, 'mlir', expressed)}", epos)
        axis = None
        if self.accept(":"):
            axis = self.integer("quantization axis")
            if axis < 0:
                raise self.error("quantization axis must be >= 0", start)
        self.expect(",")
        if axis is None:
            scale = self.scale()
            self.expect(":")
            zp = self.integer("zero point")
            self.expect(">")
            return T.QuantizedType(storage, expressed, scale, zp)
        self.expect("{")
        scales, zps = [], []
        while not self.accept("}"):
            scales.append(self.scale())
            self.expect(":")
            zps.append(self.integer("zero point"))
            if not self.accept(","):
                self.expect("}", "after a per-axis scale")
                break
        if not scales:
            raise self.error("per-axis quantized type needs at least one scale:zero_point pair", start)
        self.expect(">")
        return T.QuantizedType(storage, expressed, scales, zps, axis)

    def integer(self, what="integer"):
        self.ws()
        pos = self.pos
        m = self.match(_NUMBER)
        if not m or not _INT.fullmatch(m.group(0)):
            raise self.error(f"expected {what} (an integer)", pos)
        return int(m.group(0))

    def scale(self):
        pos = self.pos
        x = float(self.number_token())
        if not (x > 0 and x != float("inf")):
            raise self.error(f"quantization scale must be positive and finite, got {x}", pos)
        return x

    def number_token(self):
        m = self.match(_NUMBER)
        if not m:
            if self.accept("inf"):
                return "inf"
            if self.accept("-inf"):
                return "-inf"
            if self.accept("nan"):
                return "nan"
            raise self.error("expected number")
        return m.group(0)

    def dims(self):
        """Parse `?x10x` style dims; returns tuple, or None for `*x`."""
        if self.accept("*"):
            self.expect("x")
            return None
        dims = []
        while True:
            self.ws()
            c = self.s[self.pos:self.pos + 1]
            if c == "?":
                self.pos += 1
                dims.append(-1)
            elif c in "0123456789" and c:
                m = _DIGITS.match(self.s, self.pos)
                self.pos = m.end()
                dims.append(int(m.group(0)))
            else:
                return tuple(dims)
            if self.s[self.pos:self.pos + 1] != "x":
                raise self.error("expected 'x' after dimension")
            self.pos += 1

    def type(self):
        self.ws()
        start = self.pos
        if self.accept("!tf_executor.control"):
            return T.CONTROL
        if self.accept("tensor<"):
            shape = self.dims()
            elem = self.element_type()
            subtypes = ()
            if elem in (T.resource, T.variant) and self.accept("<"):
                self.nest()
                subtypes = [self.tensor_type()]
                while self.accept(","):
                    subtypes.append(self.tensor_type())
                self.depth -= 1
                self.expect(">")
            self.expect(">", "to close tensor type")
            return T.TensorType(elem, shape, subtypes)
        try:
            return self.element_type()
        except _TooDeep:
            raise
        except ParseError:
            if self.s.startswith(_TYPE_PREFIXES, start):
                raise  # a type whose inside is wrong: that error says more
            raise self.error("expected type", start) from None

    def tensor_type(self):
        self.ws()
        start = self.pos
        t = self.type()
        if not isinstance(t, T.TensorType):
            raise self.error(f"expected tensor type, got {t}", start)
        return t

    def type_list(self):
        """`(t1, t2)` or a single type; returns list."""
        if self.accept("("):
            out = []
            if self.accept(")"):
                return out
            out.append(self.type())
            while self.accept(","):
                out.append(self.type())
            self.expect(")")
            return out
        return [self.type()]

    # ---- attributes --------------------------------------------------------------------
    def attr_dict(self):
        self.expect("{")
        out = {}
        if self.accept("}"):
            return out
        self.nest()
        try:
            return self._attr_entries(out)
        finally:
            self.depth -= 1

    def _attr_entries(self, out):
        while True:
            self.ws()
            kpos = self.pos
            key = self.string() if self.s.startswith('"', self.pos) else self.ident("attribute name")
            if isinstance(key, bytes):
                key = key.decode("latin-1")
            if key in out:
                raise self.error(f"duplicate attribute '{key}'", kpos)
            self.expect("=")
            out[key] = self.attr()
            if self.accept("}"):
                return out
            self.expect(",", "or '}' in attribute dictionary")

    def attr(self):
        self.ws()
        start = self.pos
        s = self.s
        if s.startswith('"', start):
            return self.string()
        if s.startswith("[", start):
            self.pos += 1
            out = []
            if self.accept("]"):
                return out
            self.nest()
            out.append(self.attr())
            while self.accept(","):
                out.append(self.attr())
            self.depth -= 1
            self.expect("]")
            return out
        if s.startswith("{", start):
            return self.attr_dict()
        if s.startswith("@", start):
            return FuncAttr(self.symbol())
        if self.accept("#tf_type.func<"):
            name = self.symbol()
            self.expect(",")
            attrs = self.attr_dict()
            self.expect(">")
            return FuncAttr(name, attrs)
        if self.accept("#tf_type.shape<"):
            if self.accept("*"):
                self.expect(">")
                return ShapeAttr(None)
            dims = []
            while True:
                self.ws()
                c = s[self.pos:self.pos + 1]
                if c == "?":
                    self.pos += 1
                    dims.append(-1)
                elif c in "0123456789" and c:
                    m = _DIGITS.match(s, self.pos)
                    self.pos = m.end()
                    dims.append(int(m.group(0)))
                else:
                    break
                if not self.accept("x"):
                    break
            self.expect(">")
            return ShapeAttr(dims)
        if self.accept("#tf_type.placeholder<"):
            name = self.string()
            self.expect(">")
            return Placeholder(name)
        if self.accept("#tf_type.tensor_proto<"):
            hpos = self.pos
            hexs = self.string()
            self.expect(">")
            self.expect(":")
            t = self.tensor_type()
            try:
                if not isinstance(hexs, str) or not hexs.startswith("0x"):
                    raise ValueError
                return OpaqueTensor(t, bytes.fromhex(hexs[2:]))
            except ValueError:
                raise self.error('tensor_proto needs a hex string "0x..."', hpos) from None
        if self.accept("dense_resource<"):
            self.ident()
            self.expect(">")
            self.expect(":")
            return Elided(self.tensor_type())
        if self.accept("dense<"):
            return self._dense(start)
        word = _ID.match(s, start)
        if word and word.group(0) in ("true", "false"):
            self.pos = word.end()
            return word.group(0) == "true"
        m = _NUMBER.match(s, start)
        if m or s.startswith(("inf", "-inf", "nan"), start):
            tok = self.number_token()
            if self.peek(":") and not self.peek("::"):
                save = self.pos
                self.pos += 1
                try:
                    self.type()  # MLIR-style `5 : i64`; the value keeps its Python type
                except _TooDeep:
                    raise
                except ParseError:
                    self.pos = save
            if _INT.fullmatch(tok):
                return int(tok)
            return float(tok)
        # a type used as an attribute value (T = f32, or a tensor type)
        try:
            t = self.type()
        except _TooDeep:
            raise
        except ParseError:
            if s.startswith(_TYPE_PREFIXES, start):
                raise  # a type whose inside is wrong: that error says more
            raise self.error("expected attribute value", start) from None
        if isinstance(t, T.ControlType):
            raise self.error("'!tf_executor.control' is not an attribute value", start)
        return t

    def _dense(self, start):
        self.ws()
        body_pos = self.pos
        # Parse the body lazily: we need the type (after '>') to interpret it.
        if self.s.startswith('"', self.pos):
            raw = self.string()
            body = ("str", raw)
        else:
            body = ("lit", self._literal())
        self.expect(">")
        self.expect(":")
        t = self.tensor_type()
        if not t.has_static_shape:
            raise self.error(f"dense constant needs a static shape, got {t}", start)
        dt = t.dtype
        n = t.num_elements
        if n > MAX_DENSE_ELEMENTS:
            raise self.error(f"dense constant of {n} elements is too large (at most {MAX_DENSE_ELEMENTS})", start)
        try:
            if dt is T.string:
                vals = body[1]
                arr = np.array(vals if body[0] == "lit" else [body[1]], dtype=object)
                flat = [x if isinstance(x, bytes) else x.encode() for x in arr.reshape(-1)]
                if len(flat) == 1 and n != 1:
                    flat = flat * n
                if len(flat) != n:
                    raise ValueError(f"{len(flat)} elements for {t}")
                return DenseElements(t, np.array(flat, dtype=object).reshape(t.shape))
            if body[0] == "str":
                hexs = body[1]
                if not isinstance(hexs, str) or not hexs.startswith("0x"):
                    raise ValueError("expected hex string \"0x...\"")
                data = bytes.fromhex(hexs[2:])
                arr = np.frombuffer(data, dtype=dt.np)
                if arr.size == 1 and n != 1:
                    arr = np.repeat(arr, n)
                if arr.size != n:
                    raise ValueError(f"hex data holds {arr.size} elements, type needs {n}")
                return DenseElements(t, arr.reshape(t.shape))
            vals = body[1]
            if dt is T.bool_:
                arr = np.array(vals, dtype=bool)
            elif dt.is_float:
                arr = np.array(np.array(vals, dtype=np.float64), dtype=dt.np)
            else:
                arr = np.array(vals, dtype=object).astype(dt.np)
            if arr.size == 1 and n != 1:
                arr = np.broadcast_to(arr.reshape(()), t.shape)
            if arr.size != n:
                raise ValueError(f"{arr.size} elements for {t}")
            return DenseElements(t, arr.reshape(t.shape))
        except (ValueError, TypeError, OverflowError) as e:
            raise self.error(f"invalid dense constant: {e}", body_pos) from None

    def _literal(self):
        self.ws()
        if self.accept("["):
            out = []
            if self.accept("]"):
                return out
            self.nest()
            out.append(self._literal())
            while self.accept(","):
                out.append(self._literal())
            self.depth -= 1
            self.expect("]")
            return out
        if self.s.startswith('"', self.pos):
            return self.string()
        if self.accept("true"):
            return True
        if self.accept("false"):
            return False
        tok = self.number_token()
        return int(tok) if _INT.fullmatch(tok) else float(tok)

    # ---- module structure --------------------------------------------------------------
    def parse_module(self):
        m = Module()
        m.source = self.filename
        wrapped = False
        if self.peek("module") and _ID.match(self.s, self.pos).group(0) == "module":
            self.pos += len("module")
            wrapped = True
            if self.accept("attributes"):
                m.attrs = self.attr_dict()
            self.expect("{")
        pending_sigs = []
        while True:
            if wrapped and self.accept("}"):
                break
            if self.at_end():
                if wrapped:
                    raise self.error("expected '}' to close module")
                break
            self.ws()
            start = self.pos
            if self.peek("func.func"):
                self.pos += len("func.func")
                f = self.function()
                if f.name in m.functions:
                    raise self.error(f"redefinition of function @{f.name}", start)
                m.add_function(f)
            elif self.peek("tf.graph"):
                self.pos += len("tf.graph")
                if m.graph is not None:
                    raise self.error("module has two tf.graph bodies", start)
                g = Function("__graph__", m, is_graph=True)
                self.body(g, graph=True)
                m.graph = g
            elif self.peek('"'):
                self.module_item(m, pending_sigs, start)
            else:
                raise self.error("expected 'func.func', 'tf.graph' or a module-level item")
        if wrapped and not self.at_end():
            raise self.error("unexpected text after module")
        for s, pos in pending_sigs:
            m.signatures[s.name] = s
        return m

    def module_item(self, m, pending_sigs, start):
        kind = self.string()
        self.expect("(")
        self.expect(")")
        attrs = self.attr_dict() if self.peek("{") else {}
        self.expect(":")
        ins = self.type_list()
        self.expect("->")
        outs = self.type_list()

        def need(key, typ):
            v = attrs.get(key)
            if not isinstance(v, typ):
                raise self.error(f"'{kind}' needs attribute '{key}'", start)
            return v

        if kind == "tf_saved_model.signature":
            fn = need("function", FuncAttr).name
            in_names, in_tensors = need("input_names", list), need("input_tensors", list)
            out_names, out_tensors = need("output_names", list), need("output_tensors", list)
            if not (len(in_names) == len(in_tensors) == len(ins)) or not (
                    len(out_names) == len(out_tensors) == len(outs)):
                raise self.error("signature names, tensors and types differ in length", start)
            sig = Signature(need("sym_name", str), fn, attrs.get("method_name", ""),
                            list(zip(in_names, in_tensors, ins)), list(zip(out_names, out_tensors, outs)),
                            attrs.get("defaults"))
            pending_sigs.append((sig, start))
        elif kind == "tf_saved_model.alias":
            m.add_alias(need("sym_name", str), need("function", FuncAttr).name)
        elif kind == "tf_saved_model.variable":
            if len(outs) != 1:
                raise self.error("variable needs exactly one result type", start)
            extra = {k: v for k, v in attrs.items()
                     if k not in ("sym_name", "name", "checkpoint_key", "node_id", "trainable", "value")}
            var = Variable(need("sym_name", str), outs[0], attrs.get("node_id", -1),
                           attrs.get("name", ""), attrs.get("checkpoint_key", ""),
                           bool(attrs.get("trainable", False)), extra)
            if isinstance(attrs.get("value"), DenseElements):
                var.value = attrs["value"].array
            m.variables.append(var)
        elif kind == "tf_saved_model.asset":
            m.assets.append(Asset(need("filename", str), attrs.get("node_id", -1),
                                  attrs.get("tensor_name", "")))
        elif kind == "tf_saved_model.meta_graph":
            proto = need("proto", str)
            if proto.startswith("__elided__"):
                raise self.error("the meta_graph proto was elided by --elide-constants-larger-than; "
                                 "print without it to get parseable IR", start)
            try:
                m.meta_graph = bytes.fromhex(proto[2:])
            except ValueError:
                raise self.error("meta_graph proto must be a hex string", start) from None
        else:
            raise self.error(f"unknown module-level item '{kind}'", start)

    def function(self):
        self.ws()
        self.accept("private")
        name = self.symbol()
        f = Function(name)
        self.expect("(")
        values = {}
        if not self.accept(")"):
            while True:
                self.ws()
                vpos = self.pos
                m = self.match(_VALUE)
                if not m or m.group(2):
                    raise self.error("expected argument name like %x")
                aname = m.group(1)
                if aname in values:
                    raise self.error(f"redefinition of argument %{aname}", vpos)
                self.expect(":")
                t = self.type()
                attrs = self.attr_dict() if self.peek("{") else {}
                values[aname] = f.add_argument(aname, t, attrs)
                if self.accept(")"):
                    break
                self.expect(",")
        result_types, result_attrs = [], []
        if self.accept("->"):
            if self.accept("("):
                if not self.accept(")"):
                    while True:
                        result_types.append(self.type())
                        result_attrs.append(self.attr_dict() if self.peek("{") else {})
                        if self.accept(")"):
                            break
                        self.expect(",")
            else:
                result_types.append(self.type())
                result_attrs.append({})
        fattrs = {}
        if self.accept("attributes"):
            fattrs = self.attr_dict()
        ctl_names = fattrs.pop("tf.control_ret_names", None)
        f.attrs = fattrs
        names = [a.pop("tf.name", f"output_{i}") for i, a in enumerate(result_attrs)]
        self.body(f, values=values, result_types=result_types, result_names=names,
                  result_attrs=result_attrs, ctl_names=ctl_names)
        return f

    def body(self, f, graph=False, values=None, result_types=(), result_names=(), result_attrs=(),
             ctl_names=None):
        values = dict(values or {})
        pending = []  # (op, [(name, index, pos)], [types])
        self.expect("{")
        ret = None
        while True:
            if self.accept("}"):
                break
            if self.at_end():
                raise self.error("expected '}' to close function body")
            self.ws()
            if not graph and self.peek("return") and _ID.match(self.s, self.pos).group(0) == "return":
                rpos = self.pos
                self.pos += len("return")
                ret = (self._return_operands(), rpos)
                self.expect("}", "after return")
                break
            self.op(f, values, pending)
        # resolve operands now that every value is defined
        for op, refs, types, opos in pending:
            for (name, idx, pos), t in zip(refs, types):
                v = self._lookup(values, name, idx, pos)
                if isinstance(t, T.ControlType):
                    if not isinstance(v.type, T.ControlType):
                        raise self.error(f"'%{name}' is not a control token but is typed as one", pos)
                    op.add_control_input(v)
                else:
                    if isinstance(v.type, T.ControlType):
                        raise self.error(f"control token '%{name}' used as a data operand", pos)
                    if v.type != t:
                        raise self.error(f"use of value '%{name}' expects different type than prior "
                                         f"uses: '{t}' vs '{v.type}'", pos)
                    op.add_operand(v)
        try:
            f.sort_topologically()
        except CycleError as e:
            err = self.error(str(e))
            if e.op.src:
                err.line, err.col = e.op.src[1], e.op.src[2]
            raise err from None
        if graph:
            return
        if ret is None:
            raise self.error(f"function @{f.name} has no return")
        (refs, types), rpos = ret
        vals = []
        for (name, idx, pos), t in zip(refs, types):
            v = self._lookup(values, name, idx, pos)
            if v.type != t:
                raise self.error(f"return of '%{name}' has type '{v.type}', annotated '{t}'", pos)
            vals.append(v)
        data = [v for v in vals if not isinstance(v.type, T.ControlType)]
        ctls = [v for v in vals if isinstance(v.type, T.ControlType)]
        if len(data) != len(result_types):
            raise self.error(f"function @{f.name} returns {len(data)} values but its signature has "
                             f"{len(result_types)} results", rpos)
        for i, (v, t) in enumerate(zip(data, result_types)):
            if v.type != t:
                raise self.error(f"result #{i} of @{f.name} is '{v.type}' but the signature says '{t}'",
                                 rpos)
        f.set_returns(data, list(result_names), list(result_attrs))
        if ctl_names is not None and len(ctl_names) != len(ctls):
            raise self.error("tf.control_ret_names does not match the control values returned", rpos)
        for i, tok in enumerate(ctls):
            f.add_control_ret(ctl_names[i] if ctl_names is not None else tok.op.name, tok)

    def _lookup(self, values, name, idx, pos):
        key = name if idx is None else f"{name}#{idx}"
        v = values.get(key)
        if v is None:
            if idx is None and f"{name}#0" in values:
                raise self.error(f"'%{name}' has several results; use '%{name}#N'", pos)
            raise self.error(f"use of undefined value '%{key}'", pos)
        return v

    def _return_operands(self):
        refs = []
        self.ws()
        if not self.s.startswith("%", self.pos):
            return [], []
        while True:
            self.ws()
            pos = self.pos
            m = self.match(_VALUE)
            if not m:
                raise self.error("expected value")
            refs.append((m.group(1), int(m.group(2)) if m.group(2) else None, pos))
            if not self.accept(","):
                break
        self.expect(":")
        types = [self.type()]
        while self.accept(","):
            types.append(self.type())
        if len(types) != len(refs):
            raise self.error(f"return has {len(refs)} values but {len(types)} types")
        return refs, types

    def op(self, f, values, pending):
        self.ws()
        opos = self.pos
        lhs = []
        if self.s.startswith("%", self.pos):
            while True:
                self.ws()
                pos = self.pos
                m = self.match(_VALUE)
                if not m or m.group(2):
                    raise self.error("expected result name")
                count = 1
                if self.s.startswith(":", self.pos) and _DIGITS.match(self.s, self.pos + 1):
                    self.pos += 1
                    count = int(self.match(_DIGITS).group(0))
                lhs.append((m.group(1), count, pos))
                if not self.accept(","):
                    break
            self.expect("=")
        self.ws()
        npos = self.pos
        full = self.string()
        if not isinstance(full, str) or not full.startswith("tf."):
            raise self.error(f"op name must be \"tf.<OpType>\", got {full!r}", npos)
        op_type = full[3:]
        self.expect("(")
        refs = []
        if not self.accept(")"):
            while True:
                self.ws()
                pos = self.pos
                m = self.match(_VALUE)
                if not m:
                    raise self.error("expected operand")
                refs.append((m.group(1), int(m.group(2)) if m.group(2) else None, pos))
                if self.accept(")"):
                    break
                self.expect(",")
        attrs = self.attr_dict() if self.peek("{") else {}
        self.expect(":")
        tpos = self.pos
        in_types = self.type_list()
        self.expect("->")
        out_types = self.type_list()
        name = None
        if self.accept("loc("):
            name = self.string()
            self.expect(")")
        if len(in_types) != len(refs):
            raise self.error(f"op has {len(refs)} operands but {len(in_types)} operand types", tpos)
        has_ctl = bool(out_types) and isinstance(out_types[-1], T.ControlType)
        data_types = out_types[:-1] if has_ctl else out_types
        if any(isinstance(t, T.ControlType) for t in data_types):
            raise self.error("the control result must be the last result", tpos)
        # control operands must follow data operands
        seen_ctl = False
        for t in in_types:
            if isinstance(t, T.ControlType):
                seen_ctl = True
            elif seen_ctl:
                raise self.error("control operands must follow data operands", tpos)
        flat = []
        for rname, count, pos in lhs:
            flat.extend([(rname, None, pos)] if count == 1 else [(rname, i, pos) for i in range(count)])
        if len(flat) != len(out_types):
            raise self.error(f"op defines {len(flat)} values but has {len(out_types)} result types", opos)
        if has_ctl and flat[-1][1] is not None:
            raise self.error("the control token needs a name of its own, e.g. '%x, %ctl ='", opos)
        device = attrs.pop("device", "") if isinstance(attrs.get("device"), str) else ""
        op = Op(op_type, (), data_types, attrs, name or op_type, (), device)
        line, col = self.where(opos)
        op.src = (self.filename, line, col)
        f.append(op, uniquify=name is None)
        produced = list(op.results) + ([op.control] if has_ctl else [])
        for (rname, idx, pos), v in zip(flat, produced):
            key = rname if idx is None else f"{rname}#{idx}"
            if key in values or (idx is None and f"{rname}#0" in values):
                raise self.error(f"redefinition of SSA value '%{rname}'", pos)
            values[key] = v
        pending.append((op, refs, in_types, opos))


def parse_module(text: str, filename: str = "<input>", line_offset: int = 0) -> Module:
    """Parse a module (or a bare sequence of functions/items) from IR text."""
    return Parser(text, filename, line_offset).parse_module()


def parse_type(text: str) -> Any:
    """A type (`tensor<?x3xf32>`, `!quant.uniform<...>`, `bf16`, ...) from its text."""
    p = Parser(text)
    t = p.type()
    if not p.at_end():
        raise p.error("unexpected text after type")
    return t


def parse_attr(text: str) -> Any:
    """An attribute value from its text (see smopt.ir.attributes for the kinds)."""
    p = Parser(text)
    v = p.attr()
    if not p.at_end():
        raise p.error("unexpected text after attribute")
    return v
