// RUN: smopt %s -p merge-functions | filecheck %s
// Identical functions with different aliases stay apart (a SavedModel gives a function at
// most one alias); two identical traces of one aliased tf.function merge, keeping the alias.
"tf_saved_model.alias"() {sym_name = "x", function = @a} : () -> ()
"tf_saved_model.alias"() {sym_name = "y", function = @b} : () -> ()
"tf_saved_model.alias"() {sym_name = "z", function = @c} : () -> ()
"tf_saved_model.alias"() {sym_name = "z", function = @d} : () -> ()
// CHECK: "tf_saved_model.alias"() {function = @a, name = "x"} : () -> ()
// CHECK-NEXT: "tf_saved_model.alias"() {function = @b, name = "y"} : () -> ()
// CHECK-NEXT: "tf_saved_model.alias"() {function = @c, name = "z"} : () -> ()
// CHECK-NOT: tf_saved_model.alias
func.func @a(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<f32>) -> tensor<f32> loc("neg")
  return %0 : tensor<f32>
}
func.func @b(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<f32>) -> tensor<f32> loc("neg")
  return %0 : tensor<f32>
}
func.func @c(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.Abs"(%x) {T = f32} : (tensor<f32>) -> tensor<f32> loc("abs")
  return %0 : tensor<f32>
}
func.func @d(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.Abs"(%x) {T = f32} : (tensor<f32>) -> tensor<f32> loc("abs")
  return %0 : tensor<f32>
}
// CHECK: func.func @a(
// CHECK: func.func @b(
// CHECK: func.func @c(
// CHECK-NOT: func.func @d(
