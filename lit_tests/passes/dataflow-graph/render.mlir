// Graphviz renders what dataflow-graph and call-graph print (where `dot` is installed).
// REQUIRES: dot
// RUN: smopt %S/basic.mlir --split-input-file -p 'tpu-insert-call-stubs,dataflow-graph{output=%t.dot}' -o /dev/null
// RUN: dot -Tsvg %t.dot | filecheck %s
// RUN: smopt %S/basic.mlir --split-input-file -p 'tpu-insert-call-stubs,call-graph{format=dot output=%t.cg.dot}' -o /dev/null
// RUN: dot -Tsvg %t.cg.dot | filecheck %s --check-prefix=CG

// CHECK: <svg
// CHECK: <title>cluster_device_0</title>
// CHECK: <title>cluster_xla_{{[0-9]+}}</title>
// CHECK: <title>cluster_tpu_{{[0-9]+}}</title>
// CHECK: </svg>

// CG: <svg
// CG: TPU function
// CG: </svg>
