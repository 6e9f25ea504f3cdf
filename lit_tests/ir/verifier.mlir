// The verifier names the op and its location; each broken module fails on its own.
// RUN: not smopt %s --split-input-file 2>&1 | filecheck %s

func.func @callee(%a: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  return %a : tensor<f32>
}
func.func @caller(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  // CHECK: verifier.mlir:9:3: error: 'tf.PartitionedCall' op passes 2 operands but @callee takes 1
  %0 = "tf.PartitionedCall"(%x, %x) {Tin = [f32, f32], Tout = [f32], f = @callee} : (tensor<f32>, tensor<f32>) -> tensor<f32> loc("call")
  return %0 : tensor<f32>
}

// -----
func.func @callee(%a: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  return %a : tensor<f32>
}
func.func @caller(%x: tensor<i32>) -> (tensor<f32> {tf.name = "r"}) {
  // CHECK: verifier.mlir:19:3: error: 'tf.StatefulPartitionedCall' op operand #0 has type tensor<i32> but @callee expects tensor<f32>
  %0 = "tf.StatefulPartitionedCall"(%x) {Tin = [i32], Tout = [f32], f = @callee} : (tensor<i32>) -> tensor<f32> loc("call")
  return %0 : tensor<f32>
}

// -----
func.func @f(%x: tensor<i1>, %y: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  // CHECK: verifier.mlir:26:3: error: 'tf.If' op attribute 'then_branch' refers to unknown function @nowhere
  %0 = "tf.If"(%x, %y) {else_branch = @f, then_branch = @nowhere} : (tensor<i1>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----
// CHECK: signature 'serving_default': error: refers to unknown function @gone
"tf_saved_model.signature"() {sym_name = "serving_default", function = @gone, method_name = "", input_names = [], input_tensors = [], output_names = [], output_tensors = []} : () -> ()

// -----
// CHECK: function alias 'tpu_func': error: refers to unknown function @gone
"tf_saved_model.alias"() {sym_name = "tpu_func", function = @gone} : () -> ()

// -----
func.func @f(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.Identity"(%x) {T = f32} : (tensor<f32>) -> tensor<f32> loc("same")
  // CHECK: verifier.mlir:42:3: error: 'tf.Identity' op has a duplicate node name 'same' in @f
  %1 = "tf.Identity"(%0) {T = f32} : (tensor<f32>) -> tensor<f32> loc("same")
  return %1 : tensor<f32>
}

// -----
// A SavedModel's function_aliases give each function at most one alias (one alias may name
// several functions: every trace of the aliased tf.function).
// CHECK: function @f: error: has several aliases ('a', 'b'); a SavedModel gives a function at most one
"tf_saved_model.alias"() {sym_name = "a", function = @f} : () -> ()
"tf_saved_model.alias"() {sym_name = "b", function = @f} : () -> ()
func.func @f(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  return %x : tensor<f32>
}
