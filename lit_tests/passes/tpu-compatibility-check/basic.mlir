// TPU functions whose ops all have TPU XLA kernels pass unchanged; strings reach XLA only as
// Assert messages; ops marked for outside compilation are accepted; CPU code is not checked.
// RUN: smopt %s -p tpu-compatibility-check --pass-statistics 2>&1 | filecheck %s

// CHECK-LABEL: func.func @encoder
// CHECK-NEXT: %0 = "tf.ReadVariableOp"(%w)
// CHECK-NEXT: %1 = "tf.MatMul"(%x, %0)
// CHECK-NEXT: %2 = "tf.StatelessIf"
// CHECK-NEXT: %3 = "tf.Const"() {dtype = !tf_type.string
// CHECK-NEXT: %ctl_0 = "tf.Assert"
// CHECK-NEXT: %4 = "tf.Identity"
// CHECK-NEXT: "tf.PrintV2"(%3) {_xla_outside_compilation = "0"}
func.func @encoder(%x: tensor<?x3xf32>, %w: tensor<*x!tf_type.resource<tensor<3x8xf32>>>, %p: tensor<i1>) -> (tensor<?x8xf32> {tf.name = "enc"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<3x8xf32>>>) -> tensor<3x8xf32> loc("ReadVariableOp")
  %1 = "tf.MatMul"(%x, %0) {T = f32} : (tensor<?x3xf32>, tensor<3x8xf32>) -> tensor<?x8xf32> loc("MatMul")
  %2 = "tf.StatelessIf"(%p, %1) {Tcond = i1, Tin = [f32], Tout = [f32], then_branch = @relu, else_branch = @neg} : (tensor<i1>, tensor<?x8xf32>) -> tensor<?x8xf32> loc("cond")
  %3 = "tf.Const"() {dtype = !tf_type.string, value = dense<"must be true"> : tensor<!tf_type.string>} : () -> tensor<!tf_type.string> loc("Assert/data_0")
  %c = "tf.Assert"(%p, %3) {T = [!tf_type.string]} : (tensor<i1>, tensor<!tf_type.string>) -> !tf_executor.control loc("Assert")
  %4 = "tf.Identity"(%2, %c) {T = f32} : (tensor<?x8xf32>, !tf_executor.control) -> tensor<?x8xf32> loc("Identity")
  "tf.PrintV2"(%3) {_xla_outside_compilation = "0"} : (tensor<!tf_type.string>) -> () loc("print")
  return %4 : tensor<?x8xf32>
}
func.func @relu(%x: tensor<?x8xf32>) -> (tensor<?x8xf32> {tf.name = "y"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("Relu")
  return %0 : tensor<?x8xf32>
}
func.func @neg(%x: tensor<?x8xf32>) -> (tensor<?x8xf32> {tf.name = "y"}) {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("Neg")
  return %0 : tensor<?x8xf32>
}
// CHECK-LABEL: func.func @preprocess
// CHECK-NEXT: "tf.StringToNumber"
func.func @preprocess(%s: tensor<?x3x!tf_type.string>, %w: tensor<*x!tf_type.resource<tensor<3x8xf32>>>, %p: tensor<i1>) -> (tensor<?x8xf32> {tf.name = "enc"}) {
  %0 = "tf.StringToNumber"(%s) {out_type = f32} : (tensor<?x3x!tf_type.string>) -> tensor<?x3xf32> loc("StringToNumber")
  %1 = "tf.PartitionedCall"(%0, %w, %p) {Tin = [f32, !tf_type.resource, i1], Tout = [f32], f = @encoder} : (tensor<?x3xf32>, tensor<*x!tf_type.resource<tensor<3x8xf32>>>, tensor<i1>) -> tensor<?x8xf32> loc("encoder")
  return %1 : tensor<?x8xf32>
}
// CHECK: TpuCompatibilityCheck (tpu-compatibility-check)
// CHECK-NEXT: (S) 3 num-checked-functions
// CHECK-NEXT: (S) 9 num-checked-ops
// CHECK-NEXT: (S) 0 num-problems
