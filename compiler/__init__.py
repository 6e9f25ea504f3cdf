"""Pass manager, pipelines, option protos, SavedModel import/export.

TensorFlow is imported lazily, only where a feature needs its runtime (reading or writing
variable values, reference execution); lifting a SavedModel needs only the protos.
"""

from smopt.ir import opdefs as _opdefs


def _op_defs_from_meta_graph(blob):
    """{op name: op def} from a serialized MetaGraphDef's stripped_op_list (custom ops)."""
    from smopt.compiler import tfproto
    from smopt.compiler.tf_convert import op_def_to_dict
    mg = tfproto.MetaGraphDef()
    mg.ParseFromString(blob)
    return {od.name: op_def_to_dict(od) for od in mg.meta_info_def.stripped_op_list.op}


_opdefs.set_meta_graph_decoder(_op_defs_from_meta_graph)
