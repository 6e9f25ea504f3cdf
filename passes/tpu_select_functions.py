"""tpu-select-functions: mark the functions the converter places on the TPU.

The converter's `tpu_functions` (seed 004, `TpuFunction`): each entry names a function by
`function_alias` (the recommended way: the SavedModel's function aliases; an alias selects
every concrete function it names, i.e. every trace of the aliased tf.function, such as the
one a signature calls and the one the object graph exports), by
`concrete_function_name` (the FunctionDef name), by `signature_name` (the signature's entry
function: everything under the signature goes to the TPU) or sets `jit_compile_functions`
(every function exported with `@tf.function(jit_compile=True)`, i.e. with
`_XlaMustCompile = true`).

Each selected function gets the function attributes

    smopt.tpu_function = true
    smopt.tpu_selected_by = "function_alias 'tpu_func'"     (why: which option selected it)

which the later TPU passes read. Both are IR-only (the name has a '.'), never exported.
No option given: nothing is selected.

Errors (one line each), checked before anything is marked:
- an alias, concrete function name or signature the model does not have (the message lists
  what the model has, or close matches for concrete names);
- `jit-compile-functions` on a model with no jit_compile function;
- the same function selected twice ("Only provide a given function once. Duplicates will
  result in errors."), naming both entries.
"""
from __future__ import annotations

import difflib

from smopt.passes.framework.registry import Pass, PassError, option, register

TPU_ATTR = "smopt.tpu_function"
SELECTED_BY_ATTR = "smopt.tpu_selected_by"


def is_tpu_function(fn):
    return fn is not None and fn.attrs.get(TPU_ATTR) is True


def tpu_functions(module):
    """Names of the functions marked for the TPU, in module order."""
    return [n for n, f in module.functions.items() if is_tpu_function(f)]


def _listing(names, what):
    names = sorted(names)
    if not names:
        return f"the model has no {what}"
    shown = ", ".join(f'"{n}"' for n in names[:20])
    more = f" and {len(names) - 20} more" if len(names) > 20 else ""
    return f"the model's {what}: {shown}{more}"


def _q(s):
    return f'"{s}"'


@register
class TpuSelectFunctions(Pass):
    name = "tpu-select-functions"
    title = "TpuSelectFunctions"
    summary = "Mark the functions to place on the TPU (by alias, name, signature or jit_compile)"
    function_aliases: list[str] = option([], "function aliases of TPU functions")
    concrete_function_names: list[str] = option([], "FunctionDef names of TPU functions")
    signature_names: list[str] = option([], "signatures whose entry function goes to the TPU")
    jit_compile_functions: bool = option(
        False, "place every jit_compile=True (_XlaMustCompile) function on the TPU")
    statistics = {"num-selected": "Number of functions marked for the TPU"}

    def run(self, module):
        chosen = {}   # function name -> (entry text for messages, attr text)

        def take(fname, entry, attr_text):
            if fname in chosen:
                raise PassError(f"{chosen[fname][0]} and {entry} select the same function {_q(fname)}; "
                                "provide each TPU function only once")
            chosen[fname] = (entry, attr_text)

        for alias in self.function_aliases:
            fnames = module.aliases.get(alias)
            if not fnames:
                raise PassError(f"function_alias {_q(alias)} does not exist in the model "
                                f"({_listing(module.aliases, 'function aliases')})")
            for fname in fnames:   # every trace of the aliased tf.function
                if fname not in module.functions:
                    raise PassError(f"function_alias {_q(alias)} names function {_q(fname)}, "
                                    "which the model does not contain")
                take(fname, f"function_alias {_q(alias)}", f"function_alias '{alias}'")
        for name in self.concrete_function_names:
            if name not in module.functions:
                close = difflib.get_close_matches(name, list(module.functions), n=3, cutoff=0.6)
                hint = ("; close matches: " + ", ".join(_q(c) for c in close)) if close else ""
                raise PassError(f"concrete_function_name {_q(name)} does not exist in the model{hint}")
            take(name, f"concrete_function_name {_q(name)}", f"concrete_function_name '{name}'")
        for sig_name in self.signature_names:
            sig = module.signatures.get(sig_name)
            if sig is None:
                raise PassError(f"signature_name {_q(sig_name)} does not exist in the model "
                                f"({_listing(module.signatures, 'signatures')})")
            if sig.function not in module.functions:
                raise PassError(f"signature_name {_q(sig_name)} enters function {_q(sig.function)}, "
                                "which the model does not contain")
            take(sig.function, f"signature_name {_q(sig_name)}", f"signature_name '{sig_name}'")
        if self.jit_compile_functions:
            jit = [n for n, f in module.functions.items() if f.attrs.get("_XlaMustCompile") is True]
            if not jit:
                raise PassError("jit_compile_functions is set but the model has no function "
                                "compiled with jit_compile=True (_XlaMustCompile)")
            for n in jit:
                take(n, "jit_compile_functions", "jit_compile_functions")
        for fname, (_, attr_text) in chosen.items():
            fn = module.functions[fname]
            fn.attrs[TPU_ATTR] = True
            fn.attrs[SELECTED_BY_ATTR] = attr_text
            self.bump("num-selected")
