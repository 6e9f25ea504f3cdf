// The call graph has edges from call ops and from every function-valued attribute.
// RUN: smopt %s -p call-graph -o %t.mlir 2>&1 | filecheck %s
// RUN: smopt %s -p 'call-graph{format=dot}' -o %t.mlir 2>&1 | filecheck %s --check-prefix=DOT
// RUN: smopt %s -p 'call-graph{output=%t.txt}' -o %t.mlir && filecheck %s < %t.txt

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
// DOT: "tpu" [label="tpu\nalias: tpu_func", style=filled, fillcolor=lightblue];
// DOT: "serve" -> "tpu" [label="then_branch"];
// DOT: }
