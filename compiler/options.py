"""`ConverterOptions` text protos: parsing with one-line errors that name field and position."""
from __future__ import annotations

import re

from google.protobuf import text_format
from google.protobuf.message import Message

from smopt.compiler import tfproto
from smopt.compiler.errors import SmoptError


def converter_options_class():
    return tfproto.message("tpu_converter.ConverterOptions")


def _normalize(text):
    """Accept what users paste from the converter's documentation.

    - `\\` line continuations (the docs' shell examples keep them inside single quotes);
    - `name=value` lines (the docs write `disable_default_optimizations=True`).
    """
    text = text.replace("\\\r\n", " ").replace("\\\n", " ")
    text = re.sub(r"(?m)^(\s*[A-Za-z_][A-Za-z0-9_]*)\s*=\s*([^\s{}]+)\s*$", r"\1: \2", text)
    return text


def parse_converter_options(text, source="--converter_options_string"):
    """Parse ConverterOptions text; raises SmoptError naming the field and the position."""
    opts = converter_options_class()()
    try:
        text_format.Parse(_normalize(text), opts)
    except (text_format.ParseError, ValueError) as e:  # ValueError: a number out of the field's range
        msg = str(e).replace("\n", " ").replace("smopt.tpu_converter.", "").replace("smopt.tensorflow.", "tensorflow.")
        raise SmoptError(f"cannot parse {source}: {msg}") from None
    return opts


def read_converter_options(string=None, path=None):
    if string is not None and path is not None:
        raise SmoptError("give --converter_options_string or --converter_options_file, not both")
    if path is not None:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except IsADirectoryError:
            raise SmoptError(f"cannot read converter options file '{path}': it is a directory") from None
        except OSError as e:
            raise SmoptError(f"cannot read converter options file '{path}': {e.strerror}") from None
        except UnicodeDecodeError as e:
            line = e.object[:e.start].count(b"\n") + 1
            raise SmoptError(f"cannot read converter options file '{path}': line {line}: byte "
                             f"0x{e.object[e.start]:02x} is not UTF-8 (a text proto is UTF-8 text)") from None
        return parse_converter_options(text, f"'{path}'")
    return parse_converter_options(string or "")


def unsupported_field(msg, supported, prefix=""):
    """The dotted path of the first field set in `msg` that smopt would not act on, or None.

    `supported` holds dotted paths: a path covers its whole subtree; a message field with
    supported paths below it is searched field by field. Fields at their proto3 default are
    not set, so only values that would change something are refused."""
    for fd, value in msg.ListFields():
        path = prefix + fd.name
        if path in supported:
            continue
        below = any(p.startswith(path + ".") for p in supported)
        if not below or fd.message_type is None or fd.message_type.GetOptions().map_entry:
            return path
        items = [value] if isinstance(value, Message) else value  # repeated: a container
        for item in items:
            bad = unsupported_field(item, supported, path + ".")
            if bad:
                return bad
    return None


# Every ConverterOptions field compiler/pipelines.py maps to passes; quantization_options
# are checked by compiler/quantization_driver.py.
CONVERTER_FIELDS = {
    "tpu_functions", "batch_options", "disable_default_optimizations", "io_shape_optimization",
    "bfloat16_optimization", "bfloat16_optimization_options", "xla_sharding_options",
    "external_feature_configs.quantization_options", "auto_partition_options",
}


def check_converter_options(opts):
    """Refuse a ConverterOptions field that the converter accepts but smopt would ignore."""
    bad = unsupported_field(opts, CONVERTER_FIELDS)
    if bad:
        raise SmoptError(f"ConverterOptions field '{bad}' is not supported by smopt (it would be ignored)")
    if opts.HasField("external_feature_configs") and \
            opts.external_feature_configs.HasField("quantization_options"):
        from smopt.compiler.quantization_driver import check_fields
        check_fields(opts.external_feature_configs.quantization_options)
