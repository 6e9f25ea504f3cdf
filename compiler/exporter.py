"""IR -> SavedModel export.

Regenerates `saved_model.pb` from the module (FunctionDefLibrary, main graph, signature
defs, function aliases) on top of the MetaGraphDef remainder kept at import (saver def,
object graph, asset file defs, collections), patched where passes renamed functions or
changed variables. `variables/` is copied byte for byte unless a pass set a variable's value
(then rewritten through TensorFlow, imported lazily). The directory is built in a temporary
sibling and moved into place at the end, so a failure leaves no partial output.
"""
from __future__ import annotations

import os
import shutil
import tempfile

from smopt.ir import opdefs
from smopt.ir import types as T
from smopt.ir.core import Argument, OpResult
from smopt.passes.analysis.traits import SideEffects

from smopt.compiler import tfproto
from smopt.compiler.errors import SmoptError
from smopt.compiler.model_io import (check_unchanged, clean_stale_temps, dir_writable, fault_point,
                                     nearest_existing, os_error, output_state, publish_dir, temp_prefix)
from smopt.compiler.tf_convert import attr_to_proto, shape_to_proto, tensor_to_proto


def _dtype_enum(ttype):
    return ttype.dtype.enum


def _is_ir_only(key):
    return "." in key


class _Layouts:
    """Output-arg names of each op's results, to write FunctionDef `node:out_arg:index` refs."""

    def __init__(self, module):
        self.module = module
        self.cache = {}

    def names(self, op):
        key = id(op)
        got = self.cache.get(key)
        if got is not None:
            return got
        m = self.module
        if op.type in m.functions:
            callee = m.functions[op.type]
            out = [(n, 0) for n in callee.result_names]
        else:
            od = opdefs.lookup(op.type, m)
            if od is None:
                raise SmoptError(f"cannot export node '{op.name}': op '{op.type}' has no OpDef")
            out = []
            for arg_name, types in opdefs.output_layout(od, op.attrs):
                out.extend((arg_name, i) for i in range(len(types)))
            if len(out) != len(op.results):
                raise SmoptError(f"cannot export node '{op.name}' ({op.type}): its OpDef gives "
                                 f"{len(out)} outputs but the op has {len(op.results)} results")
        self.cache[key] = out
        return out


def _set_output_shapes(nd, results):
    av = nd.attr["_output_shapes"]
    av.list.SetInParent()
    for r in results:
        shape_to_proto(r.type.shape, av.list.shape.add())


def _fill_node(nd, op, ref):
    nd.name = op.name
    nd.op = op.type
    for v in op.operands:
        nd.input.append(ref(v))
    for c in op.control_inputs:
        nd.input.append("^" + c.op.name)
    if op.device:
        nd.device = op.device
    for k, v in op.attrs.items():
        if not _is_ir_only(k):
            attr_to_proto(v, nd.attr[k])


def function_to_proto(fn, fdef, layouts, effects):
    sig = fdef.signature
    sig.name = fn.name
    for a in fn.args:
        ia = sig.input_arg.add()
        ia.name = a.name
        ia.type = _dtype_enum(a.type)
        for st in a.type.subtypes:
            hd = ia.handle_data.add()
            hd.dtype = st.dtype.enum
            shape_to_proto(st.shape, hd.shape)
    for name, v in zip(fn.result_names, fn.returns):
        oa = sig.output_arg.add()
        oa.name = name
        oa.type = _dtype_enum(v.type)
    if any(effects.op_stateful(op) for op in fn.ops):
        sig.is_stateful = True
    for i, a in enumerate(fn.args):
        attrs = {k: v for k, v in a.attrs.items() if not _is_ir_only(k)}
        if attrs or a.type.shape is not None:
            aa = fdef.arg_attr[i]
            for k, v in attrs.items():
                attr_to_proto(v, aa.attr[k])
            if a.type.shape is not None and a.type.dtype not in (T.resource, T.variant):
                av = aa.attr["_output_shapes"]
                shape_to_proto(a.type.shape, av.list.shape.add())
    for k, v in fn.attrs.items():
        if not _is_ir_only(k):
            attr_to_proto(v, fdef.attr[k])

    def ref(v):
        if isinstance(v, Argument):
            return v.name
        if isinstance(v, OpResult):
            arg_name, idx = layouts.names(v.op)[v.index]
            return f"{v.op.name}:{arg_name}:{idx}"
        raise SmoptError(f"cannot export a use of {v!r} in @{fn.name}")

    for op in fn.ops:
        nd = fdef.node_def.add()
        _fill_node(nd, op, ref)
        if op.results:
            _set_output_shapes(nd, op.results)
    for name, v in zip(fn.result_names, fn.returns):
        fdef.ret[name] = ref(v)
    for name, tok in fn.control_rets:
        sig.control_output.append(name)
        fdef.control_ret[name] = tok.op.name
    return fdef


def graph_to_proto(g, gd):
    def ref(v):
        if isinstance(v, OpResult):
            return v.op.name if v.index == 0 else f"{v.op.name}:{v.index}"
        raise SmoptError(f"cannot export a use of {v!r} in the main graph")

    for op in g.ops:
        _fill_node(gd.node.add(), op, ref)


def build_meta_graph(module):
    mg = tfproto.MetaGraphDef()
    if module.meta_graph is not None:
        mg.ParseFromString(module.meta_graph)
    layouts = _Layouts(module)
    effects = SideEffects(module)
    lib = mg.graph_def.library
    for fn in module.functions.values():
        function_to_proto(fn, lib.function.add(), layouts, effects)
    if module.graph is not None:
        graph_to_proto(module.graph, mg.graph_def)
    versions = module.attrs.get("tf.versions")
    if isinstance(versions, dict):
        mg.graph_def.versions.producer = versions.get("producer", 0)
        mg.graph_def.versions.min_consumer = versions.get("min_consumer", 0)
        mg.graph_def.versions.bad_consumers.extend(versions.get("bad_consumers", []))
    mg.meta_info_def.tags[:] = module.attrs.get("tf_saved_model.tags", ["serve"])
    for alias, fnames in sorted(module.aliases.items()):
        for fname in fnames:
            mg.meta_info_def.function_aliases[fname] = alias
    for s in module.signatures.values():
        sd = mg.signature_def[s.name]
        sd.method_name = s.method_name
        for key, tname, ttype in s.inputs:
            _tensor_info(sd.inputs[key], tname, ttype)
        for key, tname, ttype in s.outputs:
            _tensor_info(sd.outputs[key], tname, ttype)
        for key, value in s.defaults.items():
            tensor_to_proto(value, sd.defaults[key])
    _patch_object_graph(module, mg)
    _patch_saver(module, mg)
    _patch_stripped_ops(module, mg)
    return mg


def _tensor_info(ti, name, ttype):
    ti.name = name
    ti.dtype = ttype.dtype.enum
    shape_to_proto(ttype.shape, ti.tensor_shape)


def _patch_object_graph(module, mg):
    """Keep the object graph in step with the IR: signature functions, variable types, names."""
    og = mg.object_graph_def
    if not og.nodes:
        return
    # Signatures: the object graph's signature entries must name the IR's signature functions.
    sig_nodes = {}
    for child in og.nodes[0].children:
        if child.local_name == "signatures":
            for sc in og.nodes[child.node_id].children:
                sig_nodes[sc.local_name] = og.nodes[sc.node_id]
    for s in module.signatures.values():
        node = sig_nodes.get(s.name)
        if node is None:
            continue
        kind = node.WhichOneof("kind")
        old = None
        if kind == "bare_concrete_function":
            old = node.bare_concrete_function.concrete_function_name
            node.bare_concrete_function.concrete_function_name = s.function
        elif kind == "function" and node.function.concrete_functions:
            old = node.function.concrete_functions[0]
            node.function.concrete_functions[0] = s.function
        if old and old != s.function and old in og.concrete_functions \
                and s.function not in og.concrete_functions:
            og.concrete_functions[s.function].CopyFrom(og.concrete_functions[old])
    for v in module.variables:
        if 0 <= v.node_id < len(og.nodes) and og.nodes[v.node_id].WhichOneof("kind") == "variable":
            sv = og.nodes[v.node_id].variable
            sv.dtype = v.type.dtype.enum
            shape_to_proto(v.type.shape, sv.shape)
            if v.attrs.get("device"):
                sv.device = v.attrs["device"]  # e.g. set by cpu-gpu-placement
    missing = sorted(n for n in og.concrete_functions if n not in module.functions)
    referenced = set()
    # Exported functions a pass removed on purpose (symbol-dce with keep-exported=false).
    pruned = {n for n in module.dropped_exports if n not in module.functions}
    for node in og.nodes:
        kind = node.WhichOneof("kind")
        if kind == "function":
            # A restored tf.function loses the traces a pass removed (symbol-dce with
            # keep-exported=false: e.g. Keras' training-mode layer calls); it still loads and
            # its remaining traces still run.
            kept = [n for n in node.function.concrete_functions if n not in pruned]
            if len(kept) != len(node.function.concrete_functions):
                node.function.concrete_functions[:] = kept
            referenced |= set(kept)
        elif kind == "bare_concrete_function":
            name = node.bare_concrete_function.concrete_function_name
            if name not in module.functions and name in pruned:
                # The node stays (nodes are referenced by index) as an empty object.
                node.Clear()
                node.user_object.identifier = "_generic_user_object"
                node.user_object.version.producer = 1
                node.user_object.version.min_consumer = 1
                continue
            referenced.add(name)
    lost = sorted(n for n in referenced if n not in module.functions)
    if lost:
        raise SmoptError(f"cannot export: the object graph needs function '{lost[0]}', which the "
                         "pipeline removed (keep exported functions, e.g. symbol-dce{keep-exported=true})")
    for n in missing:   # unreferenced now (e.g. merged or dead): their captures do not matter
        del og.concrete_functions[n]
    unbound = _drop_stale_gradients(module, mg, referenced)
    _prune_dropped_variables(module, og, unbound)


def _captured_tensor_value(module, function, tensor):
    """The IR value that an object-graph `captured_tensor` (`node:index` inside `function`)
    names today, or None when a pass removed, moved or renamed it."""
    fn = module.functions.get(function)
    node, _, index = tensor.rpartition(":")
    if fn is None or not index.isdigit():
        return None
    idx = int(index)
    for a in fn.args:
        if a.name == node and idx == 0:
            return a
    for op in fn.ops:
        if op.name == node:
            return op.results[idx] if idx < len(op.results) else None
    return None


def _drop_stale_gradients(module, mg, referenced):
    """Custom gradients (tf.custom_gradient, Keras 2's swish) are saved as gradient functions
    that capture forward tensors by node name (`captured_tensor` object-graph nodes). A pass
    that fuses, clusters or converts the forward function can remove such a tensor; TF's loader
    would then fail. Those gradient functions only serve training, so their registration is
    dropped (the forward model serves as before; differentiating it through the removed custom
    gradient is no longer possible). A tensor that something other than a registered gradient
    needs is an error. Returns the captured-tensor nodes nothing binds any more (to remove)."""
    og = mg.object_graph_def
    lib = mg.graph_def.library
    captured = {}   # node id -> (function, tensor name, IR value or None)
    for i, node in enumerate(og.nodes):
        if node.WhichOneof("kind") == "captured_tensor":
            ct = node.captured_tensor
            captured[i] = (ct.concrete_function, ct.name,
                           _captured_tensor_value(module, ct.concrete_function, ct.name))
    gradients = {g.gradient_func for g in lib.registered_gradients}
    dropped_fns = set()
    for name, cf in og.concrete_functions.items():
        fn = module.functions.get(name)
        for pos, nid in enumerate(cf.bound_inputs):
            if nid not in captured:
                continue
            where, tensor, value = captured[nid]
            want = None
            if fn is not None:
                args = [a for a in fn.args if a.attrs.get("tf_saved_model.bound_input") == nid]
                want = args[0].type.dtype if args else None
            if value is not None and (want is None or value.type.dtype == want):
                continue
            if name not in gradients or name in referenced:
                raise SmoptError(f"cannot export: function '{name}' captures tensor '{tensor}' of "
                                 f"function '{where}', which the pipeline removed or changed")
            dropped_fns.add(name)
    for name in dropped_fns:
        del og.concrete_functions[name]
    kept = [g for g in lib.registered_gradients if g.gradient_func not in dropped_fns]
    if len(kept) != len(lib.registered_gradients):
        del lib.registered_gradients[:]
        lib.registered_gradients.extend(kept)
    still_bound = {nid for cf in og.concrete_functions.values() for nid in cf.bound_inputs}
    return {nid for nid in captured if nid not in still_bound}


# Object-graph identifiers of objects tf_keras revives with fresh state of their own
# (optimizers: `iteration`; metrics: `total`/`count`).
_REVIVED_WITH_STATE = ("optimizer", "experimentalOptimizer", "_tf_keras_metric")


def _prune_dropped_variables(module, og, extra_dropped=()):
    """Remove object-graph variables that a pass dropped (e.g. freeze-variables) and the nodes
    in `extra_dropped` (stale captured tensors), and keep the captures of each concrete
    function in step with its IR arguments."""
    kept_vars = {v.node_id for v in module.variables}
    dropped = {i for i, n in enumerate(og.nodes) if n.WhichOneof("kind") == "variable" and i not in kept_vars}
    dropped |= set(extra_dropped)
    remap = {}
    for i in range(len(og.nodes)):
        if i not in dropped:
            remap[i] = len(remap)
    for name, cf in og.concrete_functions.items():
        fn = module.functions.get(name)
        if fn is None:
            continue
        ir_bound = [a.attrs["tf_saved_model.bound_input"] for a in fn.args
                    if isinstance(a.attrs.get("tf_saved_model.bound_input"), int)]
        if list(cf.bound_inputs) == ir_bound:
            continue
        if not set(ir_bound) <= set(cf.bound_inputs):
            raise SmoptError(f"cannot export: function '{name}' captures objects its object-graph entry "
                             "does not list")
        cf.bound_inputs[:] = ir_bound  # a pass removed captures it no longer uses
    if not dropped:
        return
    for cf in og.concrete_functions.values():
        if any(n in dropped for n in cf.bound_inputs):
            raise SmoptError("cannot export: a function outside the IR still captures a dropped variable")
        cf.bound_inputs[:] = [remap[n] for n in cf.bound_inputs]
    kept = [og.nodes[i] for i in sorted(remap)]
    for node in kept:
        if node.WhichOneof("kind") == "user_object" and node.user_object.identifier in _REVIVED_WITH_STATE \
                and any(r.node_id in dropped for r in node.children):
            # tf_keras revives these as objects that create their variables anew, which then
            # have no checkpoint value and fail the load; without their variables they are
            # plain containers.
            node.user_object.identifier = "_generic_user_object"
            node.user_object.metadata = ""
        for field in ("children", "dependencies"):
            refs = [(r.node_id, r.local_name) for r in getattr(node, field) if r.node_id not in dropped]
            del getattr(node, field)[:]
            for nid, local in refs:
                getattr(node, field).add(node_id=remap[nid], local_name=local)
        slots = [s for s in node.slot_variables
                 if s.original_variable_node_id not in dropped and s.slot_variable_node_id not in dropped]
        del node.slot_variables[:]
        for sv in slots:
            sv.original_variable_node_id = remap[sv.original_variable_node_id]
            sv.slot_variable_node_id = remap[sv.slot_variable_node_id]
            node.slot_variables.add().CopyFrom(sv)
        for key in list(node.saveable_objects):
            so = node.saveable_objects[key]
            if so.save_function in dropped or so.restore_function in dropped:
                del node.saveable_objects[key]
            else:
                so.save_function = remap.get(so.save_function, so.save_function)
                so.restore_function = remap.get(so.restore_function, so.restore_function)
    new_nodes = [type(n)() for n in kept]
    for dst, src in zip(new_nodes, kept):
        dst.CopyFrom(src)
    del og.nodes[:]
    og.nodes.extend(new_nodes)


def _patch_saver(module, mg):
    """A saver whose restore op the pipeline removed (a model left without variables) goes:
    loaders then skip the restore instead of running a missing node."""
    if not mg.HasField("saver_def") or module.graph is None:
        return
    names = {op.name for op in module.graph.ops}
    restore = mg.saver_def.restore_op_name.split(":")[0].lstrip("^")
    if restore and restore not in names:
        if module.variables:
            raise SmoptError(f"cannot export: the saver's restore op '{restore}' was removed but the "
                             f"model still has {len(module.variables)} variables")
        mg.ClearField("saver_def")


def _patch_stripped_ops(module, mg):
    """stripped_op_list lists exactly the ops the graph uses: TF checks it on load, and op
    defs of ops a pass removed (e.g. the save/restore ops of a frozen model) are dead weight."""
    used = set()
    for fn in module.all_functions():
        used |= {op.type for op in fn.ops if op.type not in module.functions}
    ops = mg.meta_info_def.stripped_op_list.op
    kept = [od for od in ops if od.name in used]
    have = {od.name for od in kept}
    from smopt.compiler.importer import registered_op_def
    for name in sorted(used - have):
        od = registered_op_def(name)
        if od is not None:
            kept.append(od)
    kept = [type(od).FromString(od.SerializeToString()) for od in kept]  # detach before clearing
    del ops[:]
    ops.extend(sorted(kept, key=lambda od: od.name))


def _variables_changed(module):
    return any(v.value is not None for v in module.variables)


def _copy_tree(src, dst, out_dir):
    """shutil.copytree for variables/ (byte for byte), raising the first OSError as it is
    (copytree gathers them into a shutil.Error without the reason)."""
    os.makedirs(dst)
    for name in sorted(os.listdir(src)):
        s, d = os.path.join(src, name), os.path.join(dst, name)
        if os.path.isdir(s):
            _copy_tree(s, d, out_dir)
        else:
            shutil.copy2(s, d)
            fault_point("variables", out_dir)


# A rewritten checkpoint is written in parts of about this many bytes (each part one SaveV2,
# then MergeV2Checkpoints joins them into one checkpoint with a data file per part), so that
# export holds one part's values at a time (a variable larger than this is a part of its
# own), not a second copy of every variable. Unchanged values go from the source checkpoint
# into TensorFlow tensors directly (RestoreV2), without a numpy copy.
SAVE_PART_BYTES = 64 << 20


def _write_variables(module, src_dir, dst_dir, mg, out_dir=None):
    src = os.path.join(src_dir, "variables") if src_dir else None
    dst = os.path.join(dst_dir, "variables")
    if not module.variables:
        if not mg.HasField("saver_def") and mg.object_graph_def.nodes \
                and src and os.path.exists(os.path.join(src, "variables.index")):
            _write_object_graph_checkpoint(mg.object_graph_def, dst)  # variables were dropped
        elif src and os.path.isdir(src):
            _copy_tree(src, dst, out_dir)
        else:
            os.makedirs(dst)
        return
    if src is None or not os.path.exists(os.path.join(src, "variables.index")):
        raise SmoptError("cannot export variables: the module has no source checkpoint "
                         "(export needs a SavedModel input)")
    if not _variables_changed(module):
        _copy_tree(src, dst, out_dir)  # byte for byte
        return
    os.makedirs(dst)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf

    reader = tf.train.load_checkpoint(os.path.join(src, "variables"))
    dtypes = reader.get_variable_to_dtype_map()
    shapes = reader.get_variable_to_shape_map()
    new = {v.checkpoint_key: v for v in module.variables if v.value is not None}
    for key in sorted(set(new) - set(dtypes)):
        raise SmoptError(f"cannot export variable '{new[key].path}': checkpoint key '{key}' is not in "
                         "the source checkpoint")

    def nbytes(key):
        if key in new:
            return int(np.asarray(new[key].value).nbytes)
        return int(np.prod(shapes[key], dtype=np.int64)) * max(dtypes[key].size, 1)

    parts, cur, size = [], [], 0   # keys in sorted order, split into parts of ~SAVE_PART_BYTES
    for key in sorted(dtypes):
        n = nbytes(key)
        if cur and size + n > SAVE_PART_BYTES:
            parts.append(cur)
            cur, size = [], 0
        cur.append(key)
        size += n
    parts.append(cur)

    source = os.path.join(src, "variables")

    def tensors_of(keys):
        old = [k for k in keys if k not in new]
        read = dict(zip(old, tf.raw_ops.RestoreV2(prefix=source, tensor_names=old, shape_and_slices=[""] * len(old),
                                                  dtypes=[dtypes[k] for k in old]))) if old else {}
        out = []
        for k in keys:
            if k in new:
                v = new[k]
                arr = np.asarray(v.value, dtype=v.type.dtype.np)
                out.append(tf.constant(arr, dtype=tf.bfloat16 if v.type.dtype.name == "bfloat16"
                                       else tf.as_dtype(v.type.dtype.np)))
            else:
                out.append(read.pop(k))
        return out

    final = os.path.join(dst, "variables")
    prefixes = [final] if len(parts) == 1 else [os.path.join(dst, f"part-{i:05d}") for i in range(len(parts))]
    try:
        for prefix, keys in zip(prefixes, parts):
            fault_point("variables", out_dir)
            tensors = tensors_of(keys)
            tf.raw_ops.SaveV2(prefix=prefix, tensor_names=keys, shape_and_slices=[""] * len(keys),
                              tensors=tensors)
            del tensors
        if len(prefixes) > 1:
            tf.raw_ops.MergeV2Checkpoints(checkpoint_prefixes=prefixes, destination_prefix=final,
                                          delete_old_dirs=False)
            for prefix in prefixes:   # the merge renamed the data files and left the indexes
                if os.path.exists(prefix + ".index"):
                    os.unlink(prefix + ".index")
    except tf.errors.OpError as e:    # e.g. a full disk, found by TensorFlow's writer
        msg = (getattr(e, "message", None) or str(e)).strip().splitlines()
        raise SmoptError(f"cannot write the variables of '{out_dir or dst_dir}': "
                         f"{msg[0] if msg else type(e).__name__}") from None
    written = os.listdir(dst)
    if not any(f.startswith("variables.index") for f in written):
        raise SmoptError("writing the new checkpoint failed")


def _write_object_graph_checkpoint(og, dst):
    """A checkpoint with no variables, only the object graph: `tf.saved_model.load` restores
    from `variables/` unconditionally, so a stateless model still needs one."""
    os.makedirs(dst)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tog = tfproto.message("tensorflow.TrackableObjectGraph")()
    for node in og.nodes:
        t = tog.nodes.add()
        for ref in node.children:
            t.children.add(node_id=ref.node_id, local_name=ref.local_name)
    tf.raw_ops.SaveV2(prefix=os.path.join(dst, "variables"), tensor_names=["_CHECKPOINTABLE_OBJECT_GRAPH"],
                      shape_and_slices=[""], tensors=[tf.constant(tog.SerializeToString())])


def _copy_extras(src_dir, dst_dir):
    if not src_dir:
        return
    for name in ("assets", "assets.extra"):
        p = os.path.join(src_dir, name)
        if os.path.isdir(p):
            shutil.copytree(p, os.path.join(dst_dir, name))


def _write_fingerprint(dst_dir):
    """Recompute fingerprint.pb for the new saved_model.pb (skipped if TF cannot)."""
    try:
        from tensorflow.python.saved_model.pywrap_saved_model import fingerprinting as fp
        data = fp.CreateFingerprintDef(dst_dir)
        with open(os.path.join(dst_dir, "fingerprint.pb"), "wb") as f:
            f.write(data)
    except Exception:  # fingerprints are metadata only; TF loads models without one
        pass


def _inside(path, root):
    """Whether real path `path` is `root` or lies below it."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def check_input_output(input_dir, out_dir):
    """Refuse an output directory that is, contains or lies inside the input model directory
    (symlinks resolved): replacing it would delete the input, writing into it would modify
    it. --overwrite does not change this."""
    src, dst = os.path.realpath(input_dir), os.path.realpath(out_dir)
    if src == dst:
        raise SmoptError(f"output directory '{out_dir}' is the input model directory '{input_dir}'; "
                         "the input is never modified")
    if _inside(dst, src):
        raise SmoptError(f"output directory '{out_dir}' lies inside the input model directory "
                         f"'{input_dir}'; the input is never modified")
    if _inside(src, dst):
        raise SmoptError(f"output directory '{out_dir}' contains the input model directory "
                         f"'{input_dir}'; replacing it would delete the input")


def prepare_output_dir(out_dir, overwrite=False):
    """Check the output location before any work: missing or empty is fine, and the
    directory (with missing parents) must be creatable where it is missing. Returns
    model_io.output_state(out_dir), for export_saved_model(before=...) to tell at the end
    whether another process wrote `out_dir` meanwhile."""
    if os.path.lexists(out_dir):
        if not os.path.isdir(out_dir):
            raise SmoptError(f"output path '{out_dir}' exists and is not a directory")
        if os.listdir(out_dir) and not overwrite:
            raise SmoptError(f"output directory '{out_dir}' is not empty (pass --overwrite to replace it)")
    # The export is built in a sibling of out_dir and renamed into place: the parent must be
    # a writable directory (or creatable).
    parent = os.path.dirname(os.path.abspath(out_dir))
    hit = nearest_existing(parent)
    if not os.path.isdir(hit):
        raise SmoptError(f"cannot create output directory '{out_dir}': '{hit}' is a file, not a directory")
    if not dir_writable(hit):
        raise SmoptError(f"cannot create output directory '{out_dir}': directory '{hit}' is not writable")
    return output_state(out_dir)


_UNSET = object()


def export_saved_model(module, out_dir, overwrite=False, before_publish=None, before=_UNSET):
    """Write `module` as a SavedModel directory at `out_dir`, atomically.

    The directory is built in a temporary beside `out_dir` and published in one step
    (model_io.publish_dir): a crash at any moment leaves no partial `out_dir` (a killed run's
    temporary is removed by the next export to the same place), and when another process
    publishes `out_dir` while this one works, this one fails and leaves that output alone.
    `before` is prepare_output_dir's result from when the run started (default: now).
    `before_publish(tmp_dir)` may add files (e.g. warm-up requests) before the move."""
    src_dir = module.source if module.source and os.path.isdir(str(module.source)) else None
    if src_dir:
        check_input_output(src_dir, out_dir)
    if before is not _UNSET:
        check_unchanged(out_dir, before)   # published by another process during the passes
    state = prepare_output_dir(out_dir, overwrite)
    if before is _UNSET:
        before = state
    parent = os.path.dirname(os.path.abspath(out_dir)) or "."
    tmp = None
    try:
        os.makedirs(parent, exist_ok=True)
        clean_stale_temps(out_dir)
        tmp = tempfile.mkdtemp(prefix=temp_prefix(out_dir), dir=parent)
        _export_into(module, src_dir, tmp, out_dir, before_publish, overwrite, before)
    except OSError as e:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        raise os_error(e, out_dir) from None
    except BaseException:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _export_into(module, src_dir, tmp, out_dir, before_publish, overwrite, before):
    """Fill the temporary directory `tmp` and move it to `out_dir`."""
    sm = tfproto.SavedModel()
    sm.saved_model_schema_version = module.attrs.get("tf_saved_model.schema_version", 1)
    mg = sm.meta_graphs.add()
    mg.CopyFrom(build_meta_graph(module))
    with open(os.path.join(tmp, "saved_model.pb"), "wb") as f:
        f.write(sm.SerializeToString(deterministic=True))
    del sm   # the MetaGraphDef `mg` is a copy
    fault_point("export", out_dir)
    _write_variables(module, src_dir, tmp, mg, out_dir)
    _copy_extras(src_dir, tmp)
    if src_dir and os.path.exists(os.path.join(src_dir, "fingerprint.pb")):
        _write_fingerprint(tmp)
    if before_publish is not None:
        before_publish(tmp)
    os.chmod(tmp, 0o755)  # mkdtemp makes it 0700; servers run as other users
    publish_dir(tmp, out_dir, overwrite, before)
