"""SavedModel -> IR lifting, from the protos alone (no TensorFlow runtime).

Every node of every FunctionDef (and of the main graph) becomes exactly one op: nothing is
dropped or folded here; cleanup is the job of passes. `_output_shapes` attributes become the
result types (and are regenerated on export), so the IR keeps a single source of truth.
"""
from __future__ import annotations

import os

from google.protobuf import message as _pb_message

from smopt.ir import opdefs
from smopt.ir import types as T
from smopt.ir.attributes import ShapeAttr
from smopt.ir.builder import Builder
from smopt.ir.core import Asset, Function, Module, Signature, Variable
from smopt.compiler import tfproto
from smopt.compiler.errors import SmoptError
from smopt.compiler.tf_convert import (attr_from_proto, op_def_to_dict, shape_from_proto, tensor_from_proto,
                         tensor_type_from_info)

TF1_MESSAGE = "TF1 SavedModels are not supported; re-export with TF2"


def read_saved_model_proto(model_dir):
    """Parse `saved_model.pb` (or `.pbtxt`) with clear one-line errors for bad inputs."""
    if not os.path.exists(model_dir):
        raise SmoptError(f"input model directory '{model_dir}' does not exist")
    if not os.path.isdir(model_dir):
        raise SmoptError(f"input model path '{model_dir}' is not a directory")
    pb = os.path.join(model_dir, "saved_model.pb")
    pbtxt = os.path.join(model_dir, "saved_model.pbtxt")
    sm = tfproto.SavedModel()
    for path in (pb, pbtxt):
        if os.path.lexists(path) and not os.path.isfile(path):
            raise SmoptError(f"'{path}' is not a regular file")
    if os.path.exists(pb):
        try:
            with open(pb, "rb") as f:
                data = f.read()
        except OSError as e:
            raise SmoptError(f"cannot read '{pb}': {e.strerror}") from None
        try:
            sm.ParseFromString(data)
        except _pb_message.DecodeError:
            raise SmoptError(f"cannot parse '{pb}': not a SavedModel protobuf (truncated or corrupt)") from None
        if not sm.meta_graphs:
            raise SmoptError(f"cannot parse '{pb}': it holds no MetaGraphDef (truncated or not a SavedModel)")
    elif os.path.exists(pbtxt):
        from google.protobuf import text_format
        try:
            with open(pbtxt, encoding="utf-8") as f:
                text_format.Parse(f.read(), sm)
        except OSError as e:
            raise SmoptError(f"cannot read '{pbtxt}': {e.strerror}") from None
        except (text_format.ParseError, UnicodeDecodeError) as e:
            raise SmoptError(f"cannot parse '{pbtxt}': {str(e).splitlines()[0]}") from None
    else:
        raise SmoptError(f"no saved_model.pb in '{model_dir}': not a SavedModel directory")
    return sm


def select_meta_graph(sm, model_dir, tags=None):
    mgs = list(sm.meta_graphs)
    if tags is None:
        if len(mgs) == 1:
            return mgs[0]
        tags = {"serve"}
    for mg in mgs:
        if set(mg.meta_info_def.tags) == set(tags):
            return mg
    have = ["[" + ",".join(mg.meta_info_def.tags) + "]" for mg in mgs]
    raise SmoptError(f"no MetaGraphDef with tags {sorted(tags)} in '{model_dir}' (it has {', '.join(have)})")


class _Importer:
    def __init__(self, mg, model_dir):
        self.mg = mg
        self.model_dir = model_dir
        self.module = Module()
        self.module.source = model_dir
        self.fdefs = {f.signature.name: f for f in mg.graph_def.library.function}

    # ---- op structure ------------------------------------------------------------------
    def output_layout(self, node_op, attrs, where):
        """[(out arg name, [dtypes])] for a node; functions are called by name."""
        if node_op in self.fdefs:
            sig = self.fdefs[node_op].signature
            return [(a.name, [T.dtype_from_enum(a.type)]) for a in sig.output_arg]
        od = opdefs.lookup(node_op, self.module)
        if od is None:
            raise SmoptError(f"op '{node_op}' ({where}) has no OpDef: it is neither in the SavedModel's "
                             "stripped_op_list nor in smopt's op table")
        return opdefs.output_layout(od, attrs)

    def make_op(self, nd, fn, where):
        self.context = f"node '{nd.name}' ({nd.op}) in {where}"
        attrs = {k: attr_from_proto(v) for k, v in nd.attr.items()}
        shapes = attrs.pop("_output_shapes", None)
        layout = self.output_layout(nd.op, attrs, f"node '{nd.name}' in {where}")
        dtypes, segments = [], {}
        for arg_name, types in layout:
            segments[arg_name] = len(dtypes)
            dtypes.extend(types)
        if any(d is None for d in dtypes):
            raise SmoptError(f"cannot tell the result types of node '{nd.name}' ({nd.op}) in {where}: "
                             "a type attr is missing")
        if not isinstance(shapes, list) or len(shapes) != len(dtypes) or \
                not all(isinstance(s, ShapeAttr) for s in shapes):
            shapes = [None] * len(dtypes)  # a hint only: missing or malformed, the shape is unknown
        rtypes = []
        for d, s in zip(dtypes, shapes):
            rtypes.append(T.TensorType(d, s.dims if s is not None else None))
        op = Builder.at_end(fn).create(nd.op, (), rtypes, attrs, nd.name, device=nd.device, uniquify=False)
        return op, segments

    def wire(self, fn, nodes, ops, values, func_style, where):
        """Resolve each node's input strings to operands and control inputs."""
        for nd, (op, _) in zip(nodes, ops):
            for inp in nd.input:
                if inp.startswith("^"):
                    src = self.by_name.get(inp[1:])
                    if src is None and inp[1:] in values:
                        # `^arg`: a control edge from a function argument (Keras 2's custom
                        # gradient functions write these). Arguments are ready before any node
                        # of the call runs, so the edge orders nothing; as in TF's own MLIR
                        # import, it is dropped.
                        continue
                    if src is None:
                        raise SmoptError(f"node '{nd.name}' in {where} has a control input from "
                                         f"unknown node '{inp[1:]}'")
                    op.add_control_input(src[0].control)
                else:
                    op.add_operand(self.resolve(inp, values, func_style, f"node '{nd.name}' in {where}"))

    def resolve(self, ref, values, func_style, where):
        if ref in values:
            return values[ref]
        parts = ref.split(":")
        node = parts[0]
        src = self.by_name.get(node)
        if src is None:
            raise SmoptError(f"{where} refers to unknown tensor '{ref}'")
        op, segments = src
        if len(parts) > 1 and not (parts[-1].isascii() and parts[-1].isdigit()):
            raise SmoptError(f"{where} refers to tensor '{ref}', whose output index '{parts[-1]}' is "
                             "not a number")
        if len(parts) == 1:
            idx = 0
        elif func_style and len(parts) == 3:
            if parts[1] not in segments:
                raise SmoptError(f"{where} refers to unknown output '{parts[1]}' of '{node}' ({op.type})")
            idx = segments[parts[1]] + int(parts[2])
        elif len(parts) == 2:
            idx = int(parts[-1])
        else:
            raise SmoptError(f"{where} refers to malformed tensor name '{ref}'")
        if idx >= len(op.results):
            raise SmoptError(f"{where} refers to output {idx} of '{node}' ({op.type}), which has "
                             f"{len(op.results)}")
        return op.results[idx]

    # ---- functions ---------------------------------------------------------------------
    def import_function(self, fdef):
        sig = fdef.signature
        fn = Function(sig.name)
        where = f"function '{sig.name}'"
        self.context = where
        values = {}
        for i, a in enumerate(sig.input_arg):
            attrs = {}
            if i in fdef.arg_attr:
                attrs = {k: attr_from_proto(v) for k, v in fdef.arg_attr[i].attr.items()}
            shapes = attrs.pop("_output_shapes", None)
            shape = shapes[0].dims if isinstance(shapes, list) and len(shapes) == 1 and \
                isinstance(shapes[0], ShapeAttr) else None
            if a.type_attr or a.number_attr or a.type_list_attr:
                raise SmoptError(f"{where} is polymorphic (argument '{a.name}' has a type attr); "
                                 "only concrete functions are supported")
            subtypes = [T.TensorType(T.dtype_from_enum(h.dtype), shape_from_proto(h.shape))
                        for h in a.handle_data]
            arg = fn.add_argument(a.name, T.TensorType(T.dtype_from_enum(a.type), shape, subtypes), attrs)
            values[a.name] = arg
        self.by_name = {}
        ops = []
        for nd in fdef.node_def:
            if nd.name in self.by_name:
                raise SmoptError(f"{where} has two nodes named '{nd.name}'")
            entry = self.make_op(nd, fn, where)
            self.by_name[nd.name] = entry
            ops.append(entry)
        self.wire(fn, fdef.node_def, ops, values, True, where)
        rets, names = [], []
        for a in sig.output_arg:
            if a.name not in fdef.ret:
                raise SmoptError(f"{where} has no return value for output '{a.name}'")
            rets.append(self.resolve(fdef.ret[a.name], values, True, f"return '{a.name}' of {where}"))
            names.append(a.name)
        fn.set_returns(rets, names)
        for key in sig.control_output:
            node = fdef.control_ret.get(key, key)
            if node not in self.by_name:
                raise SmoptError(f"{where} has a control output '{key}' naming unknown node '{node}'")
            fn.add_control_ret(key, self.by_name[node][0].control)
        fn.attrs = {k: attr_from_proto(v) for k, v in fdef.attr.items()}
        try:
            fn.sort_topologically()
        except ValueError as e:
            raise SmoptError(str(e)) from None
        return fn

    def import_graph(self, gd):
        g = Function("__graph__", is_graph=True)
        self.by_name = {}
        ops = []
        for nd in gd.node:
            if nd.name in self.by_name:
                raise SmoptError(f"the main graph has two nodes named '{nd.name}'")
            entry = self.make_op(nd, g, "the main graph")
            self.by_name[nd.name] = entry
            ops.append(entry)
        self.wire(g, gd.node, ops, {}, False, "the main graph")
        try:
            g.sort_topologically()
        except ValueError as e:
            if any(n.op in ("Enter", "Exit", "NextIteration", "Switch", "Merge") for n in gd.node):
                raise SmoptError(TF1_MESSAGE + " (the graph has TF1 control flow)") from None
            raise SmoptError(str(e)) from None
        self.graph_nodes = self.by_name
        return g

    # ---- SavedModel metadata -----------------------------------------------------------
    def import_signatures(self):
        m = self.module
        for key in sorted(self.mg.signature_def):
            sd = self.mg.signature_def[key]
            self.context = f"signature '{key}'"
            if not _plain_signature(sd):
                continue  # init ops and composite encodings stay in the meta graph as they are
            inputs = [(k, sd.inputs[k].name, tensor_type_from_info(sd.inputs[k].dtype, sd.inputs[k].tensor_shape))
                      for k in sorted(sd.inputs)]
            outputs = [(k, sd.outputs[k].name,
                        tensor_type_from_info(sd.outputs[k].dtype, sd.outputs[k].tensor_shape))
                       for k in sorted(sd.outputs)]
            fn = None
            for _, tname, _ in outputs:
                entry = self.graph_nodes.get(tname.split(":")[0])
                if entry is not None and entry[0].callee:
                    fn = entry[0].callee
                    break
            if fn is None:
                fn = self._signature_function_from_object_graph(key)
            if fn is None:
                raise SmoptError(f"signature '{key}' in '{self.model_dir}' does not lead to a function")
            defaults = {}
            for k in sorted(sd.defaults):
                defaults[k] = tensor_from_proto(sd.defaults[k])
            m.signatures[key] = Signature(key, fn, sd.method_name, inputs, outputs, defaults)

    def _signature_function_from_object_graph(self, key):
        og = self.mg.object_graph_def
        if not og.nodes:
            return None
        for child in og.nodes[0].children:
            if child.local_name == "signatures":
                for sc in og.nodes[child.node_id].children:
                    if sc.local_name == key:
                        node = og.nodes[sc.node_id]
                        if node.WhichOneof("kind") == "function" and node.function.concrete_functions:
                            return node.function.concrete_functions[0]
                        if node.WhichOneof("kind") == "bare_concrete_function":
                            return node.bare_concrete_function.concrete_function_name
        return None

    def import_object_graph(self):
        m = self.module
        og = self.mg.object_graph_def
        paths = _object_paths(og)
        for nid, node in enumerate(og.nodes):
            kind = node.WhichOneof("kind")
            self.context = f"object graph node {nid} ({kind})"
            if kind == "variable":
                v = node.variable
                path = paths.get(nid, f"node_{nid}")
                attrs = {}
                if v.device:
                    attrs["device"] = v.device
                if v.synchronization:
                    attrs["synchronization"] = int(v.synchronization)
                if v.aggregation:
                    attrs["aggregation"] = int(v.aggregation)
                m.variables.append(Variable(
                    path, T.TensorType(T.dtype_from_enum(v.dtype), shape_from_proto(v.shape)), nid, v.name,
                    _checkpoint_key(path), bool(v.trainable), attrs))
            elif kind == "asset":
                idx = node.asset.asset_file_def_index
                afd = self.mg.asset_file_def[idx] if idx < len(self.mg.asset_file_def) else None
                m.assets.append(Asset(afd.filename if afd else "", nid, afd.tensor_info.name if afd else ""))
        exported = set(og.concrete_functions.keys())
        for node in og.nodes:
            kind = node.WhichOneof("kind")
            if kind == "function":
                exported |= set(node.function.concrete_functions)
            elif kind == "bare_concrete_function":
                exported.add(node.bare_concrete_function.concrete_function_name)
        for name in sorted(exported):
            fn = m.functions.get(name)
            if fn is None:
                continue
            fn.attrs["tf_saved_model.exported"] = True
            cf = og.concrete_functions.get(name)
            if cf is not None and cf.bound_inputs:
                n = len(cf.bound_inputs)
                if n <= len(fn.args):
                    for arg, nid in zip(fn.args[len(fn.args) - n:], cf.bound_inputs):
                        arg.attrs["tf_saved_model.bound_input"] = int(nid)

    def run(self):
        mg = self.mg
        m = self.module
        self.context = "the MetaGraphDef"
        if not mg.HasField("object_graph_def") or not mg.object_graph_def.nodes:
            raise SmoptError(f"{TF1_MESSAGE} ('{self.model_dir}' has no object graph)")
        for od in mg.meta_info_def.stripped_op_list.op:
            m.op_defs[od.name] = op_def_to_dict(od)
        for fdef in mg.graph_def.library.function:
            m.add_function(self.import_function(fdef))
        m.graph = self.import_graph(mg.graph_def)
        m.graph.module = m
        self.import_signatures()
        for concrete, alias in sorted(mg.meta_info_def.function_aliases.items()):
            m.add_alias(alias, concrete)   # every trace of the aliased tf.function
        self.import_object_graph()
        m.attrs["tf_saved_model.tags"] = list(mg.meta_info_def.tags)
        v = mg.graph_def.versions
        m.attrs["tf.versions"] = {"producer": int(v.producer), "min_consumer": int(v.min_consumer),
                                  "bad_consumers": [int(x) for x in v.bad_consumers]}
        rest = type(mg)()
        rest.CopyFrom(mg)
        rest.graph_def.ClearField("node")
        rest.graph_def.library.ClearField("function")
        for key in list(rest.signature_def):
            if key in m.signatures:
                del rest.signature_def[key]
        rest.meta_info_def.ClearField("function_aliases")
        rest.graph_def.ClearField("versions")
        rest.meta_info_def.ClearField("tags")
        m.meta_graph = rest.SerializeToString(deterministic=True)
        if m.variables and not os.path.exists(os.path.join(self.model_dir, "variables", "variables.index")):
            raise SmoptError(f"'{os.path.join(self.model_dir, 'variables')}' is missing but the graph has "
                             f"{len(m.variables)} variables")
        return m


def _plain_signature(sd):
    infos = list(sd.inputs.values()) + list(sd.outputs.values())
    return all(i.WhichOneof("encoding") == "name" and i.dtype != 0 for i in infos)


def _escape(name):
    return name.replace(".", "..").replace("/", ".S")


def _checkpoint_key(path):
    return "/".join(_escape(p) for p in path.split("/")) + "/.ATTRIBUTES/VARIABLE_VALUE"


def _object_paths(og):
    """Breadth-first object paths from the root, as TF names checkpoint entries."""
    paths = {0: ""}
    queue = [0]
    while queue:
        nid = queue.pop(0)
        for child in og.nodes[nid].children:
            if child.node_id not in paths:
                base = paths[nid]
                paths[child.node_id] = f"{base}/{child.local_name}" if base else child.local_name
                queue.append(child.node_id)
    return paths


def import_saved_model(model_dir, tags=None):
    """Lift the SavedModel at `model_dir` into a Module. Raises SmoptError on bad input."""
    sm = read_saved_model_proto(model_dir)
    from smopt.compiler.model_io import fault_point
    fault_point("import", model_dir)
    mg = select_meta_graph(sm, model_dir, tags)
    importer = _Importer(mg, model_dir)
    pb = os.path.join(model_dir, "saved_model.pb")
    if not os.path.exists(pb):
        pb += "txt"
    try:
        module = importer.run()
    except SmoptError as e:
        if model_dir in str(e):
            raise
        raise SmoptError(f"cannot import '{pb}': {e}") from None
    except MemoryError:
        raise SmoptError(f"cannot import '{pb}': {importer.context}: out of memory (an attribute asks "
                         "for more values than fit)") from None
    except (ValueError, TypeError, OverflowError, IndexError, KeyError) as e:
        # A field the protos allow but the model cannot mean (an unknown or reference dtype,
        # a tensor whose values do not fit its shape, a dangling object-graph reference):
        # one line naming the file and the node, the traceback kept for --debug.
        import traceback
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        err = SmoptError(f"cannot import '{pb}': {importer.context}: {msg}")
        err.traceback = traceback.format_exc()
        raise err from None
    module.attrs["tf_saved_model.schema_version"] = int(sm.saved_model_schema_version)
    if module.variables:
        module.variable_reader = checkpoint_reader(model_dir)
    return module


def _tf_message(e):
    """The first line of a TensorFlow error's message (without the op context TF appends)."""
    msg = getattr(e, "message", None) or str(e)
    msg = msg.strip().splitlines()[0] if msg.strip() else type(e).__name__
    return msg


def validate_checkpoint(module):
    """Check the SavedModel's checkpoint before a conversion writes anything: the index reads,
    it holds every variable the graph declares with the declared dtype and shape, and every
    value reads back (TensorFlow checks each tensor's checksum in the data files). Values
    are read one at a time, so memory stays at the largest variable. Raises SmoptError
    naming the file and the problem."""
    if not module.source:
        return
    vdir = os.path.join(module.source, "variables")
    prefix = os.path.join(vdir, "variables")
    index = prefix + ".index"
    if not module.variables and not os.path.exists(index):
        return  # a stateless model without a checkpoint
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    try:
        reader = tf.train.load_checkpoint(prefix)
        dtypes = reader.get_variable_to_dtype_map()
        shapes = reader.get_variable_to_shape_map()
    except Exception as e:  # TF's reader raises OpErrors, ValueError, IndexError, ...
        raise SmoptError(f"corrupt checkpoint index '{index}': {_tf_message(e)}") from None
    for v in module.variables:
        key = v.checkpoint_key
        if key not in dtypes:
            raise SmoptError(f"checkpoint '{index}' has no value for variable '{v.path}' (key '{key}')")
        have = dtypes[key].as_datatype_enum
        if have != v.type.dtype.enum:
            raise SmoptError(f"checkpoint '{index}' stores variable '{v.path}' as {dtypes[key].name}, the "
                             f"graph declares {v.type.dtype.name}")
        want = v.type.shape
        got = tuple(shapes[key])
        if want is not None and (len(want) != len(got)
                                 or any(w >= 0 and w != g for w, g in zip(want, got))):
            raise SmoptError(f"checkpoint '{index}' stores variable '{v.path}' with shape {list(got)}, the "
                             f"graph declares {[d if d >= 0 else None for d in want]}")
    data = os.path.join(vdir, "variables.data-*")
    paths = {v.checkpoint_key: v.path for v in module.variables}
    for key in sorted(dtypes):  # every entry: the export copies or rewrites them all
        try:
            reader.get_tensor(key)
        except Exception as e:  # e.g. IndexError "Read less bytes than requested" (truncated)
            what = f"variable '{paths[key]}'" if key in paths else f"entry '{key}'"
            raise SmoptError(f"corrupt checkpoint data '{data}': {what}: {_tf_message(e)}") from None


def checkpoint_reader(model_dir):
    """A Module.variable_reader for the SavedModel's checkpoint (imports TensorFlow lazily)."""
    prefix = os.path.join(model_dir, "variables", "variables")
    state = {}

    def read(var):
        if "reader" not in state:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            import tensorflow as tf
            state["reader"] = tf.train.load_checkpoint(prefix)
        return state["reader"].get_tensor(var.checkpoint_key)

    return read


_OP_LIST = None


def registered_op_def(name):
    """The full OpDef proto of a registered op (from the shipped op list), or None."""
    global _OP_LIST
    if _OP_LIST is None:
        import gzip
        path = os.path.join(os.path.dirname(__file__), "protos", "op_list.binpb.gz")
        with gzip.open(path, "rb") as f:
            ops = tfproto.message("tensorflow.OpList").FromString(f.read())
        _OP_LIST = {od.name: od for od in ops.op}
    return _OP_LIST.get(name)
