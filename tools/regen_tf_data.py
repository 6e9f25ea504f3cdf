"""Regenerate the TensorFlow data that smopt ships so that it never needs TF to read a model.

Run with TensorFlow installed (`python tools/regen_tf_data.py`). It writes:
  * compiler/protos/tf_protos.binpb: a FileDescriptorSet with TF's SavedModel-related protos,
    re-packaged under `smopt.` so they can live in the same process as TensorFlow's own
    classes without descriptor-pool clashes (the wire format does not depend on package names).
  * ir/op_defs.tsv.gz: the argument structure, attrs and statefulness of every registered op,
    which the importer needs to resolve `node:out_arg:index` references and result dtypes.
  * compiler/protos/op_list.binpb.gz: the full OpDefs, for the exporter's stripped_op_list.
  * compiler/protos/converter_options.binpb: ConverterOptions compiled with protoc
    (grpcio-tools) against tf_protos.binpb.
"""
import gzip
import importlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ROOT_MODULES = [
    "tensorflow.core.protobuf.saved_model_pb2",
    "tensorflow.core.protobuf.fingerprint_pb2",
    "tensorflow.core.protobuf.tensor_bundle_pb2",
    "tensorflow.core.protobuf.tpu.topology_pb2",
    "tensorflow.core.example.example_pb2",
    "tensorflow.core.framework.op_def_pb2",
    "tensorflow.compiler.xla.xla_data_pb2",
    "tensorflow.compiler.mlir.quantization.tensorflow.quantization_options_pb2",
]
PREFIX = "smopt."


def _rename_pkg(name):
    if name.startswith("google.protobuf"):
        return name
    return PREFIX + name


def _rename_type(type_name):
    # Fully qualified references look like ".tensorflow.NodeDef".
    if not type_name or type_name.startswith(".google.protobuf"):
        return type_name
    return "." + PREFIX + type_name[1:]


def _rename_file(path):
    if path.startswith("google/protobuf"):
        return path
    return "smopt/" + path


def _fix_message(msg):
    for f in msg.field:
        if f.type_name:
            f.type_name = _rename_type(f.type_name)
        if f.extendee:
            f.extendee = _rename_type(f.extendee)
    for nested in msg.nested_type:
        _fix_message(nested)


def collect_descriptors():
    from google.protobuf import descriptor_pb2

    seen, order = set(), []

    def visit(fd):
        if fd.name in seen:
            return
        seen.add(fd.name)
        for dep in fd.dependencies:
            visit(dep)
        order.append(fd)

    for mod in ROOT_MODULES:
        visit(importlib.import_module(mod).DESCRIPTOR)
    out = descriptor_pb2.FileDescriptorSet()
    for fd in order:
        if fd.name.startswith("google/protobuf"):
            continue  # well-known types are in every pool already
        p = out.file.add()
        fd.CopyToProto(p)
        p.name = _rename_file(p.name)
        p.package = _rename_pkg(p.package)
        p.dependency[:] = [_rename_file(d) for d in p.dependency]
        p.ClearField("options")
        for m in p.message_type:
            _fix_message(m)
        for ext in p.extension:
            ext.extendee = _rename_type(ext.extendee)
            if ext.type_name:
                ext.type_name = _rename_type(ext.type_name)
        for svc in p.service:
            for meth in svc.method:
                meth.input_type = _rename_type(meth.input_type)
                meth.output_type = _rename_type(meth.output_type)
    return out


def collect_op_defs():
    from tensorflow.core.framework import op_def_pb2
    from tensorflow.python.client import pywrap_tf_session

    sys.path.insert(0, ROOT)
    from smopt.compiler.tf_convert import op_def_to_dict  # the importer's converter: one definition

    buf = pywrap_tf_session.TF_GetAllOpList()
    ops = op_def_pb2.OpList.FromString(pywrap_tf_session.TF_GetBuffer(buf))
    table = {op.name: op_def_to_dict(op) for op in ops.op}
    return table, ops.SerializeToString(deterministic=True)


def main():
    fds = collect_descriptors()
    path = os.path.join(ROOT, "compiler", "protos", "tf_protos.binpb")
    with open(path, "wb") as f:
        f.write(fds.SerializeToString(deterministic=True))
    print(f"wrote {path}: {len(fds.file)} files")
    protos = os.path.join(ROOT, "compiler", "protos")
    import subprocess
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "--descriptor_set_in=tf_protos.binpb", "-I.",
                    "--descriptor_set_out=converter_options.binpb", "converter_options.proto"],
                   cwd=protos, check=True)
    print(f"wrote {os.path.join(protos, 'converter_options.binpb')}")
    table, oplist = collect_op_defs()
    path = os.path.join(ROOT, "compiler", "protos", "op_list.binpb.gz")
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(oplist)
    print(f"wrote {path}")
    from smopt.ir.opdefs import _PATH as path, write_table
    write_table(table, path)
    print(f"wrote {path}: {len(table)} ops")


if __name__ == "__main__":
    main()
