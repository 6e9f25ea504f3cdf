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
from smopt.ir.printer import GRAPH_OP

# re.ASCII: `\d` is 0-9 only (a Unicode digit such as '\u0663' or '\u00b2' is not a number here).
_WS = re.compile(r"(?:\s+|//[^\n]*)+", re.ASCII)
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.$\-]*")
_VALUE = re.compile(r"%([A-Za-z0-9_.$\-]+)(?:#(\d+))?", re.ASCII)
_NUMBER = re.compile(r"-?(?:\d+\.\d*(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+)", re.ASCII)
_INT = re.compile(r"-?\d+", re.ASCII)
_DIGITS = re.compile(r"\d+", re.ASCII)
_BUILTIN_ELEM = re.compile(r"(f8E[A-Za-z0-9]+|bf16|f16|f32|f64|ui\d+|i\d+)", re.ASCII)
_TFTYPE = re.compile(r"!tf_type\.([a-z0-9_]+)")
_ALIAS_REF = re.compile(r"#[A-Za-z_][A-Za-z0-9_.$\-]*")
_LOC_ALIAS_DEF = re.compile(r"^(#[A-Za-z_][A-Za-z0-9_.$\-]*)[ \t]*=[ \t]*loc\(", re.M)
# Attributes, literals and types nest at most this deep: deeper text is refused, since the
# recursive parser, printer and passes would exhaust Python's stack on it.
MAX_NESTING = 100
# Constants are held as arrays: a splat `dense<0.0> : tensor<2147483648x...>` would expand to
# gigabytes. Real constants this large are not written as text.
MAX_DENSE_ELEMENTS = 1 << 28
_TYPE_PREFIXES = ("tensor<", "!quant.uniform<", "complex<", "!tf_type.")


_HEX = re.compile(r"0x[0-9A-Fa-f]+\b", re.ASCII)
_FLOAT_BITS = {"f16": (np.uint16, np.float16), "bf16": (np.uint16, None), "f32": (np.uint32, np.float32),
               "f64": (np.uint64, np.float64)}


_ELIDED = "this list was elided by --elide-operands-larger-than; print without it to get parseable IR"


class _HexLiteral(str):
    """A `0x...` entry of a dense literal (MLIR writes NaN and infinities so): its meaning
    depends on the element type, known only after the literal."""


def _hex_value(text, t, error):
    """An attribute written in hex: with a float type, that type's bit pattern (a Python
    float, as float attributes are); otherwise an integer."""
    n = int(text, 16)
    mlir = getattr(t, "mlir", None)
    if mlir in _FLOAT_BITS:
        try:
            return float(_bits_to_float(n, T.BY_MLIR[mlir]))
        except ValueError as e:
            raise error(str(e)) from None
    if t is not None and not (isinstance(t, T.DType) and t.is_integer):
        raise error(f"a hex value needs an integer or float type, got {t}")
    return n


def _bits_to_float(n, dt):
    width = dt.np.itemsize * 8
    if n >= 1 << width:
        raise ValueError(f"hex value {n:#x} is wider than {dt.mlir}")
    uint = {16: np.uint16, 32: np.uint32, 64: np.uint64, 8: np.uint8}[width]
    return np.array(n, dtype=uint).view(dt.np)[()]


def _resolve_hex(vals, dt):
    """Dense literal entries with `0x...` ones replaced by their value for element type `dt`."""
    if isinstance(vals, list):
        return [_resolve_hex(v, dt) for v in vals]
    if isinstance(vals, _HexLiteral):
        n = int(vals, 16)
        if dt.is_float:
            return _bits_to_float(n, dt)
        if dt.is_integer or dt is T.bool_:
            return n
        raise ValueError(f"hex element for {dt.mlir}")
    return vals


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

    def function_type(self):
        """`(t1, t2) -> (t3)` or `(t1) -> t3`."""
        ins = self.type_list()
        self.expect("->", "in function type")
        outs = self.type_list()
        return T.FunctionType(ins, outs)

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
            if self.peek(",") or self.peek("}"):
                out[key] = True   # MLIR's unit attribute: the name alone
            else:
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
        m = _HEX.match(s, start)
        if m:   # MLIR's spelling of NaN and infinities (`0x7FC00000 : f32`), or a hex integer
            self.pos = m.end()
            t = None
            if self.peek(":") and not self.peek("::"):
                self.pos += 1
                tpos = self.pos
                t = self.type()
            return _hex_value(m.group(0), t, lambda msg: self.error(msg, tpos if t else start))
        if s.startswith("(", start):
            return self.function_type()
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
        elif self.s.startswith(">", self.pos):   # MLIR's spelling of an empty constant
            body = ("lit", [])
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
            vals = _resolve_hex(body[1], dt)
            if dt is T.bool_:
                arr = np.array(vals, dtype=bool)
            elif dt.is_float:
                wide = np.array(vals, dtype=np.float64)
                with np.errstate(over="ignore"):
                    arr = np.array(wide, dtype=dt.np)
                # MLIR rejects a literal its type cannot hold rather than making it inf.
                if np.any(np.isfinite(wide) & ~np.isfinite(arr.astype(np.float64))):
                    raise ValueError(f"float literal out of range for {dt.mlir}")
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
        m = self.match(_HEX)
        if m:
            return _HexLiteral(m.group(0))
        if self.accept("("):   # a complex element: (real, imaginary)
            re_ = self._literal()
            self.expect(",")
            im = self._literal()
            self.expect(")")
            if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (re_, im)):
                raise self.error("complex element needs two numbers")
            return complex(re_, im)
        tok = self.number_token()
        return int(tok) if _INT.fullmatch(tok) else float(tok)

    # ---- locations ---------------------------------------------------------------------
    def _scan_loc_aliases(self):
        """MLIR prints locations as aliases (`loc(#loc3)`) defined after the module
        (`#loc3 = loc("MatMul")`): read every definition first."""
        self.loc_aliases = {}
        if "#" not in self.s:
            return
        save = self.pos
        for m in _LOC_ALIAS_DEF.finditer(self.s):
            self.pos = m.end()
            try:
                self.loc_aliases[m.group(1)] = self._loc_body()
            except ParseError:
                pass
        self.pos = save

    def location(self):
        """An optional `loc(...)`: the name it gives (a NameLoc's string), else None."""
        if not self.accept("loc("):
            return None
        return self._loc_body()

    def _loc_body(self):
        """After `loc(`: the location's name, if it is a NameLoc (or an alias of one);
        file locations, `unknown`, fused and call-site locations name nothing."""
        self.ws()
        name = None
        if self.s.startswith('"', self.pos):
            text = self.string()
            self.ws()
            if not self.s.startswith(":", self.pos):
                name = text
        else:
            m = _ALIAS_REF.match(self.s, self.pos)
            if m:
                self.pos = m.end()
                name = getattr(self, "loc_aliases", {}).get(m.group(0))
        self._skip_to_close(")")
        return name

    def _skip_to_close(self, close):
        """Skip balanced text (strings included) up to and past `close` at depth 0."""
        s, i, depth = self.s, self.pos, 0
        pairs = {"(": ")", "[": "]", "{": "}", "<": ">"}
        while i < len(s):
            c = s[i]
            if c == '"':
                self.pos = i
                self.string()
                i = self.pos
                continue
            if depth == 0 and c == close:
                self.pos = i + 1
                return
            if c in pairs:
                depth += 1
            elif c in ")]}>" and not (c == ">" and i > 0 and s[i - 1] == "-"):
                depth -= 1
                if depth < 0:
                    break
            i += 1
        self.pos = i
        raise self.error(f"expected '{close}' to close location")

    # ---- module structure --------------------------------------------------------------
    def parse_module(self):
        m = Module()
        m.source = self.filename
        self._scan_loc_aliases()
        pending_sigs = []
        self._skip_aliases()
        if self.peek("module") and _ID.match(self.s, self.pos).group(0) == "module":
            self.pos += len("module")
            if self.accept("attributes"):
                m.attrs = self.attr_dict()
            self.expect("{")
            self._module_body(m, pending_sigs, wrapped=True)
            self.location()
        elif self.peek('"builtin.module"'):
            self.string()
            self.expect("(")
            self.expect(")")
            if self.accept("<"):
                self.attr_dict()
                self.expect(">")
            self.expect("(")
            self.expect("{")
            self._module_body(m, pending_sigs, wrapped=True)
            self.expect(")")
            if self.peek("{"):
                m.attrs = self.attr_dict()
            self._expect_no_types("builtin.module")
        else:
            self._module_body(m, pending_sigs, wrapped=False)
        self._skip_aliases()
        if not self.at_end():
            raise self.error("unexpected text after module")
        for s, pos in pending_sigs:
            m.signatures[s.name] = s
        return m

    def _skip_aliases(self):
        """Alias definitions (`#loc3 = loc(...)`), read by _scan_loc_aliases."""
        while True:
            self.ws()
            m = _ALIAS_REF.match(self.s, self.pos)
            if not m:
                return
            start = self.pos
            self.pos = m.end()
            self.expect("=")
            if not self.accept("loc("):
                raise self.error(f"only location aliases are supported, '{m.group(0)}' is not one", start)
            self._loc_body()

    def _expect_no_types(self, kind):
        """`: () -> ()` and an optional location, after a generic op without operands or results."""
        self.expect(":")
        tpos = self.pos
        ft = self.function_type()
        if ft.inputs or ft.results:
            raise self.error(f"'{kind}' has no operands or results", tpos)
        self.location()

    def _block_label(self):
        """An argument-free block label (`^bb0:`), as MLIR prints an empty region's block."""
        self.ws()
        if self.s.startswith("^", self.pos):
            pos = self.pos
            self.pos += 1
            self.ident("block label")
            if not self.accept(":"):
                raise self.error("a block label here takes no arguments", pos)

    def _module_body(self, m, pending_sigs, wrapped):
        if wrapped:
            self._block_label()
        while True:
            if wrapped and self.accept("}"):
                return
            if self.at_end():
                if wrapped:
                    raise self.error("expected '}' to close module")
                return
            self.ws()
            start = self.pos
            if self.peek("func.func"):
                self.pos += len("func.func")
                self._add_function(m, self.function(), start)
            elif self.peek('"func.func"'):
                self._add_function(m, self.generic_function(), start)
            elif self.peek("tf.graph") or self.peek(f'"{GRAPH_OP}"'):
                if m.graph is not None:
                    raise self.error("module has two tf.graph bodies", start)
                g = Function("__graph__", m, is_graph=True)
                if self.accept("tf.graph"):      # the form before smopt's text was MLIR
                    self.body(g, graph=True)
                else:
                    self.string()
                    self.expect("(")
                    self.expect(")")
                    self.expect("(")
                    self.body(g, graph=True)
                    self.expect(")")
                    if self.peek("{"):
                        self.attr_dict()
                    self._expect_no_types(GRAPH_OP)
                m.graph = g
            elif self.peek('"'):
                self.module_item(m, pending_sigs, start)
            elif _ALIAS_REF.match(self.s, self.pos):
                self._skip_aliases()
            else:
                raise self.error("expected 'func.func', 'tf.graph' or a module-level item")

    def _add_function(self, m, f, start):
        if f.name in m.functions:
            raise self.error(f"redefinition of function @{f.name}", start)
        m.add_function(f)

    def module_item(self, m, pending_sigs, start):
        kind = self.string()
        self.expect("(")
        self.expect(")")
        attrs = self.attr_dict() if self.peek("{") else {}
        self.expect(":")
        tpos = self.pos
        ins = self.type_list()
        self.expect("->")
        outs = self.type_list()
        self.location()

        def need(key, typ):
            v = attrs.get(key)
            if not isinstance(v, typ):
                raise self.error(f"'{kind}' needs attribute '{key}'", start)
            return v

        def item_name():
            # `sym_name` before smopt's text was MLIR (where it would declare a symbol)
            return need("sym_name" if "name" not in attrs else "name", str)

        if kind == "tf_saved_model.signature":
            fn = need("function", FuncAttr).name
            ftype = attrs.get("function_type")
            if ftype is not None:
                if not isinstance(ftype, T.FunctionType):
                    raise self.error("'function_type' of a signature must be a function type", start)
                if ins or outs:
                    raise self.error("a signature with a 'function_type' has no operands or results", tpos)
                ins, outs = list(ftype.inputs), list(ftype.results)
            if not all(isinstance(t, T.TensorType) for t in list(ins) + list(outs)):
                raise self.error("signature inputs and outputs must be tensor types", start)
            in_names, in_tensors = need("input_names", list), need("input_tensors", list)
            out_names, out_tensors = need("output_names", list), need("output_tensors", list)
            if not (len(in_names) == len(in_tensors) == len(ins)) or not (
                    len(out_names) == len(out_tensors) == len(outs)):
                raise self.error("signature names, tensors and types differ in length", start)
            sig = Signature(item_name(), fn, attrs.get("method_name", ""),
                            list(zip(in_names, in_tensors, ins)), list(zip(out_names, out_tensors, outs)),
                            attrs.get("defaults"))
            pending_sigs.append((sig, start))
            return
        if ins:
            raise self.error(f"'{kind}' has no operands", tpos)
        if kind == "tf_saved_model.alias":
            m.add_alias(item_name(), need("function", FuncAttr).name)
        elif kind == "tf_saved_model.variable":
            vtype = attrs.get("type")
            if vtype is not None:
                if outs:
                    raise self.error("a variable with a 'type' attribute has no results", tpos)
                outs = [vtype]
            if len(outs) != 1 or not isinstance(outs[0], T.TensorType):
                raise self.error("variable needs a tensor type (its 'type' attribute)", start)
            path = need("sym_name" if "path" not in attrs else "path", str)
            extra = {k: v for k, v in attrs.items()
                     if k not in ("path", "sym_name", "name", "checkpoint_key", "node_id", "trainable",
                                  "value", "type")}
            var = Variable(path, outs[0], attrs.get("node_id", -1),
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
        if outs and kind != "tf_saved_model.variable":
            raise self.error(f"'{kind}' has no results", tpos)

    # ---- functions ---------------------------------------------------------------------
    def function(self):
        """`func.func @f(%x: T {attrs} loc("x"), ...) -> (T {attrs}, ...) attributes {...} {`"""
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
                if self.s.startswith("...", vpos):
                    raise self.error(_ELIDED)
                m = self.match(_VALUE)
                if not m or m.group(2):
                    raise self.error("expected argument name like %x")
                aname = m.group(1)
                if aname in values:
                    raise self.error(f"redefinition of argument %{aname}", vpos)
                self.expect(":")
                t = self.type()
                attrs = self.attr_dict() if self.peek("{") else {}
                real = self.location()
                values[aname] = f.add_argument(real if isinstance(real, str) else aname, t,
                                               _tf_attrs(attrs))
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
        self._finish_function(f, fattrs, values, result_types, result_attrs)
        self.location()
        return f

    def generic_function(self):
        """`"func.func"() <{function_type = ..., sym_name = ...}> ({ ^bb0(...): ... }) {...}`,
        MLIR's generic form of a function."""
        start = self.pos
        self.string()
        self.expect("(")
        self.expect(")")
        props = {}
        if self.accept("<"):
            props = self.attr_dict()
            self.expect(">")
        name = props.get("sym_name")
        ftype = props.get("function_type")
        if not isinstance(name, str) or not isinstance(ftype, T.FunctionType):
            raise self.error("'func.func' needs properties 'sym_name' and 'function_type'", start)
        arg_attrs = props.get("arg_attrs") or [{}] * len(ftype.inputs)
        res_attrs = props.get("res_attrs") or [{}] * len(ftype.results)
        if not (isinstance(arg_attrs, list) and isinstance(res_attrs, list)
                and len(arg_attrs) == len(ftype.inputs) and len(res_attrs) == len(ftype.results)
                and all(isinstance(a, dict) for a in arg_attrs + res_attrs)):
            raise self.error("'arg_attrs'/'res_attrs' do not match the function type", start)
        f = Function(name)
        self.expect("(")
        self.expect("{")
        values = {}
        self.ws()
        bpos = self.pos
        block_args = []
        if self.accept("^"):
            self.ident("block label")
            if self.accept("(") and not self.accept(")"):
                while True:
                    self.ws()
                    vpos = self.pos
                    m = self.match(_VALUE)
                    if not m or m.group(2):
                        raise self.error("expected block argument like %arg0")
                    self.expect(":")
                    t = self.type()
                    block_args.append((m.group(1), t, self.location(), vpos))
                    if self.accept(")"):
                        break
                    self.expect(",")
            self.expect(":")
        if [t for _, t, _, _ in block_args] != list(ftype.inputs):
            raise self.error(f"the arguments of @{name} do not match its function type", bpos)
        for (ssa, t, real, vpos), attrs in zip(block_args, arg_attrs):
            if ssa in values:
                raise self.error(f"redefinition of argument %{ssa}", vpos)
            values[ssa] = f.add_argument(real if isinstance(real, str) else ssa, t, _tf_attrs(attrs))
        fattrs_pos = self.pos
        self._finish_function(f, None, values, list(ftype.results), [dict(a) for a in res_attrs],
                              opened=True)
        self.expect(")")
        fattrs = self.attr_dict() if self.peek("{") else {}
        self._expect_no_types("func.func")
        self._function_attrs(f, fattrs, fattrs_pos, after_body=True)
        return f

    def _finish_function(self, f, fattrs, values, result_types, result_attrs, opened=False):
        ctl_names = None
        if fattrs is not None:
            ctl_names = self._function_attrs(f, fattrs, self.pos)
        names = [a.pop("tf.name", f"output_{i}") for i, a in enumerate(result_attrs)]
        self.body(f, values=values, result_types=result_types, result_names=names,
                  result_attrs=[_tf_attrs(a) for a in result_attrs], ctl_names=ctl_names, opened=opened)

    def _function_attrs(self, f, fattrs, pos, after_body=False):
        """Set the function attributes; returns `tf.control_ret_names` (the names of the
        control results). In the generic form the attributes follow the body: `after_body`
        renames the control results the body returned."""
        ctl_names = fattrs.pop("tf.control_ret_names", None)
        f.attrs = fattrs
        if ctl_names is not None and not (isinstance(ctl_names, list)
                                          and all(isinstance(n, str) for n in ctl_names)):
            raise self.error("tf.control_ret_names must be a list of strings", pos)
        if ctl_names is not None and after_body:
            if len(ctl_names) != len(f.control_rets):
                raise self.error("tf.control_ret_names does not match the control values returned", pos)
            f.set_control_rets([(n, tok) for n, (_, tok) in zip(ctl_names, f.control_rets)])
        return ctl_names

    def body(self, f, graph=False, values=None, result_types=(), result_names=(), result_attrs=(),
             ctl_names=None, opened=False):
        values = dict(values or {})
        pending = []  # (op, [(name, index, pos)], [types])
        if not opened:
            self.expect("{")
        if graph:
            self._block_label()
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
                self.location()
                self.expect("}", "after return")
                break
            if not graph and self.peek('"func.return"'):
                rpos = self.pos
                ret = (self._generic_return(), rpos)
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
        data_types = [t for t in result_types if not isinstance(t, T.ControlType)]
        n_ctl = len(result_types) - len(data_types)
        if len(data) != len(data_types):
            raise self.error(f"function @{f.name} returns {len(data)} values but its signature has "
                             f"{len(data_types)} results", rpos)
        if n_ctl and n_ctl != len(ctls):
            raise self.error(f"function @{f.name} returns {len(ctls)} control tokens but its "
                             f"signature has {n_ctl} control results", rpos)
        for i, (v, t) in enumerate(zip(data, data_types)):
            if v.type != t:
                raise self.error(f"result #{i} of @{f.name} is '{v.type}' but the signature says '{t}'",
                                 rpos)
        keep = [i for i, t in enumerate(result_types) if not isinstance(t, T.ControlType)]
        f.set_returns(data, [result_names[i] for i in keep], [result_attrs[i] for i in keep])
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

    def _value_refs(self, close=None):
        refs = []
        while True:
            self.ws()
            pos = self.pos
            if self.s.startswith("...", pos):
                raise self.error(_ELIDED)
            m = self.match(_VALUE)
            if not m:
                raise self.error("expected operand" if close else "expected value")
            refs.append((m.group(1), int(m.group(2)) if m.group(2) else None, pos))
            if close is not None and self.accept(close):
                return refs
            if not self.accept(","):
                if close is not None:
                    self.expect(",")
                return refs

    def _return_operands(self):
        self.ws()
        if not self.s.startswith("%", self.pos):
            return [], []
        refs = self._value_refs()
        self.expect(":")
        types = [self.type()]
        while self.accept(","):
            types.append(self.type())
        if len(types) != len(refs):
            raise self.error(f"return has {len(refs)} values but {len(types)} types")
        return refs, types

    def _generic_return(self):
        """`"func.return"(%a, %b) : (ta, tb) -> () loc(...)`"""
        self.string()
        self.expect("(")
        refs = [] if self.accept(")") else self._value_refs(")")
        self.expect(":")
        tpos = self.pos
        ft = self.function_type()
        if ft.results or len(ft.inputs) != len(refs):
            raise self.error(f"return has {len(refs)} values but {len(ft.inputs)} types", tpos)
        self.location()
        return refs, list(ft.inputs)

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
        refs = [] if self.accept(")") else self._value_refs(")")
        attrs = {}
        if self.accept("<"):   # MLIR's properties (an unregistered op keeps them as attributes)
            attrs = self.attr_dict()
            self.expect(">")
        if self.peek("("):
            raise self.error(f"'{full}' has regions; TF ops in smopt's IR have none")
        if self.peek("{"):
            more = self.attr_dict()
            attrs.update(more)
        self.expect(":")
        tpos = self.pos
        in_types = self.type_list()
        self.expect("->")
        out_types = self.type_list()
        name = self.location()
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


def _tf_attrs(attrs):
    """Argument/result attributes as the IR keeps them: `tf.X` (X without a dot) is TF's own
    attribute X, printed with the dialect prefix MLIR requires there."""
    out = {}
    for k, v in attrs.items():
        out[k[3:] if k.startswith("tf.") and "." not in k[3:] else k] = v
    return out


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
