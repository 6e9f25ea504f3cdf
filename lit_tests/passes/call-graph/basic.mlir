// The call graph has edges from call ops and from every function-valued attribute. Marked:
// signatures, aliases, TPU functions, TPU call stubs and XLA clusters (as colours in DOT; TPU
// calls and calls into XLA clusters are coloured edges).
// RUN: smopt %s --split-input-file -p call-graph -o %t.mlir 2>&1 | filecheck %s
// RUN: smopt %s --split-input-file -p 'call-graph{format=dot}' -o %t.mlir 2>&1 | filecheck %s --check-prefix=DOT
// RUN: smopt %s --split-input-file -p 'call-graph{output=%t.txt}' -o %t.mlir && filecheck %s --check-prefix=FILE < %t.txt
// RUN: smopt %s --split-input-file -p 'tpu-insert-call-stubs,call-graph{format=dot}' -o %t.mlir 2>&1 | filecheck %s --check-prefix=STUBS

"tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, method_name = "", input_names = [], input_tensors = [], output_names = [], output_tensors = []} : () -> ()
"tf_saved_model.alias"() {sym_name = "tpu_func", function = @tpu} : () -> ()
tf.graph {
  %p = "tf.Placeholder"() {dtype = i1, shape = #tf_type.shape<>} : () -> tensor<i1> loc("p")
  %x = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<>} : () -> tensor<f32> loc("x")
  %0 = "tf.StatefulPartitionedCall"(%p, %x) {Tin = [i1, f32], Tout = [f32], f = @serve} : (tensor<i1>, tensor<f32>) -> tensor<f32> loc("call")
}
func.func @serve(%p: tensor<i1>, %x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.If"(%p, %x) {Tcond = i1, then_branch = @tpu, else_branch = @other, Tin = [f32], Tout = [f32], is_stateless = true} : (tensor<i1>, tensor<f32>) -> tensor<f32> loc("if")
  %1 = "tf.BatchFunction"(%0) {f = @other, Tin = [f32], Tout = [f32], Tcaptured = [], num_batch_threads = 1, max_batch_size = 8, batch_timeout_micros = 10, allowed_batch_sizes = [8]} : (tensor<f32>) -> tensor<f32> loc("batch")
  return %1 : tensor<f32>
}
func.func @tpu(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.While"(%x) {cond = @other, body = @other, T = [f32]} : (tensor<f32>) -> tensor<f32> loc("loop")
  return %0 : tensor<f32>
}
func.func @other(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  return %x : tensor<f32>
}

// CHECK: // call graph: 3 functions, 4 edges
// CHECK-NEXT: <graph>
// CHECK-NEXT:   -> @serve (StatefulPartitionedCall:f)
// CHECK-NEXT: @serve [signature: serving_default]
// CHECK-NEXT:   -> @other (BatchFunction:f, If:else_branch)
// CHECK-NEXT:   -> @tpu (If:then_branch)
// CHECK-NEXT: @tpu [alias: tpu_func]
// CHECK-NEXT:   -> @other (While:body, While:cond)
// CHECK-NEXT: @other

// DOT: digraph callgraph {
// DOT: "serve" [label="serve\nsignature: serving_default", peripheries="2"];
// DOT: "tpu" [label="tpu\nalias: tpu_func", color="#2171b5", penwidth="2"];
// DOT: "<graph>" [label="<graph>", shape="ellipse"];
// DOT: "serve" -> "tpu" [label="then_branch"];
// DOT: }

// -----
// After xla-cluster and tpu-insert-call-stubs: the XLA cluster is green, the TPU function
// orange, the stub that the If's branch now names yellow and dashed; the stub's TPU call and
// the call into the cluster are coloured edges.
// CHECK: // call graph: 3 functions, 2 edges
// CHECK-NEXT: @serve [signature: serving_default]
// CHECK-NEXT:   -> @serve_xla_cluster_0 (PartitionedCall:f)
// CHECK-NEXT:   -> @tpu (If:else_branch, If:then_branch)
// CHECK-NEXT: @tpu [alias: tpu_func; TPU function]
// CHECK-NEXT: @serve_xla_cluster_0 [XLA cluster]
// (each chunk writes output=, the last one stays)
// FILE: // call graph: 3 functions, 2 edges
// FILE-NEXT: @serve [signature: serving_default]

// DOT: "tpu" [label="tpu\nalias: tpu_func\nTPU function", color="#2171b5", penwidth="2", fillcolor="#fdd0a2"];
// DOT: "serve_xla_cluster_0" [label="serve_xla_cluster_0\nXLA cluster", fillcolor="#c7e9c0"];
// DOT: "serve" -> "serve_xla_cluster_0" [label="f", color="#238b45", penwidth="2"];

// STUBS: "tpu_tpu_stub" [label="tpu_tpu_stub\nTPU call stub for @tpu", fillcolor="#fff7bc", style="filled,dashed"];
// STUBS: "serve" -> "tpu_tpu_stub" [label="else_branch,then_branch (TPU call)", color="#d94801", penwidth="2"];
// STUBS: "tpu_tpu_stub" -> "tpu" [label="f (TPU call)", color="#d94801", penwidth="2"];
"tf_saved_model.signature"() {name = "serving_default", function = @serve, function_type = (tensor<i1>, tensor<f32>) -> tensor<f32>, method_name = "", input_names = ["p", "x"], input_tensors = ["p:0", "x:0"], output_names = ["r"], output_tensors = ["if:0"]} : () -> ()
"tf_saved_model.alias"() {name = "tpu_func", function = @tpu} : () -> ()
func.func @serve(%p: tensor<i1>, %x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], _XlaMustCompile = true, f = @serve_xla_cluster_0} : (tensor<f32>) -> tensor<f32> loc("xla_cluster_0")
  %1 = "tf.If"(%p, %0) {Tcond = i1, then_branch = @tpu, else_branch = @tpu, Tin = [f32], Tout = [f32], is_stateless = true} : (tensor<i1>, tensor<f32>) -> tensor<f32> loc("if")
  return %1 : tensor<f32>
}
func.func @tpu(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<f32>) -> tensor<f32> loc("neg")
  return %0 : tensor<f32>
}
func.func @serve_xla_cluster_0(%arg_0: tensor<f32>) -> (tensor<f32> {tf.name = "output_0"}) attributes {_XlaMustCompile = true, _noinline = true, smopt.xla_cluster = true} {
  %0 = "tf.Relu"(%arg_0) {T = f32} : (tensor<f32>) -> tensor<f32> loc("relu")
  return %0 : tensor<f32>
}
