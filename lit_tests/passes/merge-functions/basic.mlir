// RUN: smopt %s -p merge-functions | filecheck %s
// RUN: smopt %s -p merge-functions --no-output --pass-statistics 2>&1 | filecheck %s --check-prefix=STATS
// merge-functions (passes/merge_functions.py): functions with identical bodies become one.

// The two signature wrappers (Keras' `serve` and `serving_default`) are identical once their
// callees @inner_a and @inner_b are merged: a second round merges them too.
// CHECK: "tf_saved_model.signature"() {{{.*}}function = @wrapper_a{{.*}}name = "serve",
// CHECK: "tf_saved_model.signature"() {{{.*}}function = @wrapper_a{{.*}}name = "serving_default",
// CHECK: "tf_saved_model.alias"() {function = @inner_a, name = "tpu_func"}
// CHECK: "tf.graph"() ({
// CHECK: "tf.StatefulPartitionedCall"(%{{.*}}) {{{.*}}f = @wrapper_a} {{.*}} loc("StatefulPartitionedCall")
// CHECK: "tf.StatefulPartitionedCall"(%{{.*}}) {{{.*}}f = @wrapper_a} {{.*}} loc("StatefulPartitionedCall_1")
// CHECK: func.func @wrapper_a(
// CHECK-NEXT: f = @inner_a}
// CHECK-NOT: func.func @wrapper_b(
// CHECK: func.func @inner_a(
// CHECK-NOT: func.func @inner_b(
// An exported function that is no signature's stays, although it equals @inner_a.
// CHECK: func.func @exported_twin(
// Different constant values (compared by digest above 64 elements) keep functions apart.
// CHECK: func.func @big_a(
// CHECK: func.func @big_b(
// CHECK-NOT: func.func @big_c(
// CHECK: "tf.If"(%{{.*}}) {Tcond = i1, {{.*}}else_branch = @big_a{{.*}}then_branch = @big_a}
// A recursive function is never merged.
// CHECK: func.func @rec_a(
// CHECK: func.func @rec_b(
// STATS: (S) 3 num-merged

module attributes {tf_saved_model.tags = ["serve"]} {
  "tf_saved_model.signature"() {sym_name = "serve", function = @wrapper_a, method_name = "tensorflow/serving/predict", input_names = ["x"], input_tensors = ["serve_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<?x2xf32>) -> (tensor<?x2xf32>)
  "tf_saved_model.signature"() {sym_name = "serving_default", function = @wrapper_b, method_name = "tensorflow/serving/predict", input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall_1:0"]} : (tensor<?x2xf32>) -> (tensor<?x2xf32>)
  "tf_saved_model.alias"() {sym_name = "tpu_func", function = @inner_b} : () -> ()
  tf.graph {
    %x = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<?x2>} : () -> tensor<?x2xf32> loc("serve_x")
    %y = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @wrapper_a} : (tensor<?x2xf32>) -> tensor<?x2xf32> loc("StatefulPartitionedCall")
    %x1 = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<?x2>} : () -> tensor<?x2xf32> loc("serving_default_x")
    %y1 = "tf.StatefulPartitionedCall"(%x1) {Tin = [f32], Tout = [f32], f = @wrapper_b} : (tensor<?x2xf32>) -> tensor<?x2xf32> loc("StatefulPartitionedCall_1")
  }
  func.func @wrapper_a(%x: tensor<?x2xf32>) -> (tensor<?x2xf32> {tf.name = "y"}) attributes {tf_saved_model.exported = true} {
    %y = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @inner_a} : (tensor<?x2xf32>) -> tensor<?x2xf32> loc("call")
    return %y : tensor<?x2xf32>
  }
  func.func @wrapper_b(%x: tensor<?x2xf32>) -> (tensor<?x2xf32> {tf.name = "y"}) attributes {tf_saved_model.exported = true} {
    %y = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @inner_b} : (tensor<?x2xf32>) -> tensor<?x2xf32> loc("call")
    return %y : tensor<?x2xf32>
  }
  func.func @inner_a(%x: tensor<?x2xf32>) -> (tensor<?x2xf32> {tf.name = "y"}) {
    %y = "tf.Relu"(%x) {T = f32} : (tensor<?x2xf32>) -> tensor<?x2xf32> loc("relu")
    return %y : tensor<?x2xf32>
  }
  func.func @inner_b(%x: tensor<?x2xf32>) -> (tensor<?x2xf32> {tf.name = "y"}) {
    %y = "tf.Relu"(%x) {T = f32} : (tensor<?x2xf32>) -> tensor<?x2xf32> loc("relu")
    return %y : tensor<?x2xf32>
  }
  func.func @exported_twin(%x: tensor<?x2xf32>) -> (tensor<?x2xf32> {tf.name = "y"}) attributes {tf_saved_model.exported = true} {
    %y = "tf.Relu"(%x) {T = f32} : (tensor<?x2xf32>) -> tensor<?x2xf32> loc("relu")
    return %y : tensor<?x2xf32>
  }
  func.func @big_a() -> (tensor<100xf32> {tf.name = "c"}) {
    %c = "tf.Const"() {dtype = f32, value = dense<"0x0000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A040"> : tensor<100xf32>} : () -> tensor<100xf32> loc("c")
    return %c : tensor<100xf32>
  }
  func.func @big_b() -> (tensor<100xf32> {tf.name = "c"}) {
    %c = "tf.Const"() {dtype = f32, value = dense<"0x0000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F00000040000040400000804000000000"> : tensor<100xf32>} : () -> tensor<100xf32> loc("c")
    return %c : tensor<100xf32>
  }
  func.func @big_c() -> (tensor<100xf32> {tf.name = "c"}) {
    %c = "tf.Const"() {dtype = f32, value = dense<"0x0000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A0400000803F0000004000004040000080400000A040"> : tensor<100xf32>} : () -> tensor<100xf32> loc("c")
    return %c : tensor<100xf32>
  }
  func.func @uses_big(%p: tensor<i1>) -> () {
    %r = "tf.If"(%p) {Tcond = i1, then_branch = @big_a, else_branch = @big_c, Tin = [], Tout = [f32], is_stateless = true} : (tensor<i1>) -> tensor<100xf32> loc("if")
    %b = "tf.PartitionedCall"() {Tin = [], Tout = [f32], f = @big_b} : () -> tensor<100xf32> loc("call_b")
    return
  }
  func.func @rec_a(%x: tensor<i32>) -> (tensor<i32> {tf.name = "y"}) {
    %y = "tf.PartitionedCall"(%x) {Tin = [i32], Tout = [i32], f = @rec_a} : (tensor<i32>) -> tensor<i32> loc("self")
    return %y : tensor<i32>
  }
  func.func @rec_b(%x: tensor<i32>) -> (tensor<i32> {tf.name = "y"}) {
    %y = "tf.PartitionedCall"(%x) {Tin = [i32], Tout = [i32], f = @rec_b} : (tensor<i32>) -> tensor<i32> loc("self")
    return %y : tensor<i32>
  }
}
