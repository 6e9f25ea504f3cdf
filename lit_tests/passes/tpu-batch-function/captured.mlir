// Captured inputs: what a tf.function captures (a tf.constant, a Keras layer's statistics, a
// variable) arrives as an extra argument that the caller passes from its own captured
// (`tf_saved_model.bound_input`) argument or a Const. Such inputs are the same for every
// request and go into captured_tensors, whatever their shape; every input fed from a
// signature input is batched. Operands are traced through Identity-like ops, through
// arguments to every call site and through call results into the callee.
// RUN: smopt %s --split-input-file -p tpu-batch-function | filecheck %s
// RUN: smopt %s --split-input-file -p 'tpu-batch-function{signature-name=serving_default}' | filecheck %s --check-prefix=SIG

// The issue's log-mel case: the TPU function captures the [129, 32] mel matrix, a bound
// input of the signature function, passed through an Identity. Signature batching captures
// the bound constant of the entry function as well.
"tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<?x129xf32>) -> (tensor<?x32xf32>)
func.func @tpu(%x: tensor<?x129xf32> {_user_specified_name = "x"}, %matmul_b: tensor<129x32xf32> {tf_saved_model.bound_input = 8}) -> (tensor<?x32xf32> {tf.name = "identity"}) attributes {smopt.tpu_function = true, tf_saved_model.exported = true} {
  %0 = "tf.MatMul"(%x, %matmul_b) {T = f32} : (tensor<?x129xf32>, tensor<129x32xf32>) -> tensor<?x32xf32> loc("MatMul")
  return %0 : tensor<?x32xf32>
}
func.func @serve(%x: tensor<?x129xf32> {_user_specified_name = "x"}, %unknown: tensor<129x32xf32> {tf_saved_model.bound_input = 8}) -> (tensor<?x32xf32> {tf.name = "identity"}) attributes {tf_saved_model.exported = true} {
  %0 = "tf.Identity"(%unknown) {T = f32} : (tensor<129x32xf32>) -> tensor<129x32xf32> loc("mel")
  %1 = "tf.PartitionedCall"(%x, %0) {Tin = [f32, f32], Tout = [f32], f = @tpu} : (tensor<?x129xf32>, tensor<129x32xf32>) -> tensor<?x32xf32> loc("PartitionedCall")
  return %1 : tensor<?x32xf32>
}
// CHECK-LABEL: func.func @serve(
// CHECK-NEXT: %0 = "tf.Identity"(%unknown)
// CHECK-NEXT: %1 = "tf.BatchFunction"(%x, %0) {Tcaptured = [f32], Tin = [f32], Tout = [f32], {{.*}} f = @tpu_batch_wrapper, {{.*}} : (tensor<?x129xf32>, tensor<129x32xf32>) -> tensor<?x32xf32> loc("PartitionedCall")
// CHECK-LABEL: func.func @tpu_batch_wrapper(%x: tensor<?x129xf32> {tf._user_specified_name = "x"} loc("x"), %matmul_b: tensor<129x32xf32> loc("matmul_b"))
// CHECK-NEXT: "tf.PartitionedCall"(%x, %matmul_b) {Tin = [f32, f32], Tout = [f32], f = @tpu}

// SIG-LABEL: func.func @serve(%x: tensor<?x129xf32> {tf._user_specified_name = "x"} loc("x"), %unknown: tensor<129x32xf32> {tf_saved_model.bound_input = 8} loc("unknown"))
// SIG-NEXT: %0 = "tf.BatchFunction"(%x, %unknown) {Tcaptured = [f32], Tin = [f32], Tout = [f32], {{.*}} f = @serve_batch_body, {{.*}} loc("batch")
// SIG-LABEL: func.func @serve_batch_body(%x: tensor<?x129xf32> {tf._user_specified_name = "x"} loc("x"), %unknown: tensor<129x32xf32> loc("unknown"))

// -----
// Several call levels: @lib is a library function (not exported), so its arguments are traced
// to its only call site: %c there is a bound input, %k a Const, %r the result of a call whose
// callee returns a Const. A scalar captured input is fine (only batched inputs need a batch
// dimension); the variable is captured as before.
"tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<?x4xf32>) -> (tensor<?x4xf32>)
func.func @tpu(%x: tensor<?x4xf32>, %c: tensor<1x4xf32>, %k: tensor<f32>, %r: tensor<4xf32>, %w: tensor<*x!tf_type.resource<tensor<4xf32>>>) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Sub"(%x, %c) {T = f32} : (tensor<?x4xf32>, tensor<1x4xf32>) -> tensor<?x4xf32> loc("sub")
  %1 = "tf.Mul"(%0, %k) {T = f32} : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32> loc("mul")
  %2 = "tf.AddV2"(%1, %r) {T = f32} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32> loc("add")
  %3 = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<4xf32>>>) -> tensor<4xf32> loc("read")
  %4 = "tf.Mul"(%2, %3) {T = f32} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32> loc("scale")
  return %4 : tensor<?x4xf32>
}
func.func @offsets() -> (tensor<4xf32> {tf.name = "o"}) {
  %0 = "tf.Const"() {dtype = f32, value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : () -> tensor<4xf32> loc("o")
  %1 = "tf.Identity"(%0) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("Identity")
  return %1 : tensor<4xf32>
}
func.func @lib(%x: tensor<?x4xf32>, %c: tensor<1x4xf32>, %w: tensor<*x!tf_type.resource<tensor<4xf32>>>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %0 = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<f32>} : () -> tensor<f32> loc("k")
  %1 = "tf.PartitionedCall"() {Tin = [], Tout = [f32], f = @offsets} : () -> tensor<4xf32> loc("offsets")
  %2 = "tf.PartitionedCall"(%x, %c, %0, %1, %w) {Tin = [f32, f32, f32, f32, !tf_type.resource], Tout = [f32], f = @tpu} : (tensor<?x4xf32>, tensor<1x4xf32>, tensor<f32>, tensor<4xf32>, tensor<*x!tf_type.resource<tensor<4xf32>>>) -> tensor<?x4xf32> loc("to_tpu")
  return %2 : tensor<?x4xf32>
}
func.func @serve(%x: tensor<?x4xf32> {_user_specified_name = "x"}, %mean: tensor<1x4xf32> {tf_saved_model.bound_input = 2}, %w: tensor<*x!tf_type.resource<tensor<4xf32>>> {tf_saved_model.bound_input = 3}) -> (tensor<?x4xf32> {tf.name = "identity"}) attributes {tf_saved_model.exported = true} {
  %0 = "tf.PartitionedCall"(%x, %mean, %w) {Tin = [f32, f32, !tf_type.resource], Tout = [f32], f = @lib} : (tensor<?x4xf32>, tensor<1x4xf32>, tensor<*x!tf_type.resource<tensor<4xf32>>>) -> tensor<?x4xf32> loc("PartitionedCall")
  return %0 : tensor<?x4xf32>
}
// CHECK-LABEL: func.func @lib(
// CHECK: %2 = "tf.BatchFunction"(%x, %c, %0, %1, %w) {Tcaptured = [f32, f32, f32, !tf_type.resource], Tin = [f32], Tout = [f32], {{.*}} f = @tpu_batch_wrapper, {{.*}} loc("to_tpu")

// -----
// Fed inputs stay batched: %s of @lib comes from a Const at one call site but from the
// signature input at the other; a random value is new for every request although its shape
// is a Const. Arguments of an exported function other than bound inputs are user inputs
// (users may call it directly), even when its only caller passes a constant.
"tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<?x4xf32>) -> (tensor<?x4xf32>)
func.func @tpu(%x: tensor<?x4xf32>, %s: tensor<?x4xf32>, %n: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.AddV2"(%x, %s) {T = f32} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("add")
  %1 = "tf.AddV2"(%0, %n) {T = f32} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("add_1")
  return %1 : tensor<?x4xf32>
}
func.func @lib(%x: tensor<?x4xf32>, %s: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %0 = "tf.Const"() {dtype = i32, value = dense<[2, 4]> : tensor<2xi32>} : () -> tensor<2xi32> loc("shape")
  %1 = "tf.RandomUniform"(%0) {T = i32, dtype = f32, seed = 0 : i64, seed2 = 0 : i64} : (tensor<2xi32>) -> tensor<?x4xf32> loc("noise")
  %2 = "tf.PartitionedCall"(%x, %s, %1) {Tin = [f32, f32, f32], Tout = [f32], f = @tpu} : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("to_tpu")
  return %2 : tensor<?x4xf32>
}
func.func @api(%x: tensor<?x4xf32> {_user_specified_name = "x"}, %s: tensor<?x4xf32> {_user_specified_name = "s"}) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {tf_saved_model.exported = true} {
  %0 = "tf.PartitionedCall"(%x, %s, %s) {Tin = [f32, f32, f32], Tout = [f32], f = @tpu} : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("api_tpu")
  return %0 : tensor<?x4xf32>
}
func.func @serve(%x: tensor<?x4xf32> {_user_specified_name = "x"}) -> (tensor<?x4xf32> {tf.name = "identity"}) attributes {tf_saved_model.exported = true} {
  %0 = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<1x4xf32>} : () -> tensor<1x4xf32> loc("one")
  %1 = "tf.Const"() {dtype = i32, value = dense<[2, 1]> : tensor<2xi32>} : () -> tensor<2xi32> loc("reps")
  %2 = "tf.Tile"(%0, %1) {T = f32, Tmultiples = i32} : (tensor<1x4xf32>, tensor<2xi32>) -> tensor<?x4xf32> loc("tile")
  %3 = "tf.PartitionedCall"(%x, %2) {Tin = [f32, f32], Tout = [f32], f = @lib} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("lib_const")
  %4 = "tf.PartitionedCall"(%x, %x) {Tin = [f32, f32], Tout = [f32], f = @lib} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("lib_fed")
  %5 = "tf.PartitionedCall"(%x, %2) {Tin = [f32, f32], Tout = [f32], f = @api} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("api")
  %6 = "tf.AddV2"(%3, %4) {T = f32} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("sum")
  %7 = "tf.AddV2"(%6, %5) {T = f32} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("sum_1")
  return %7 : tensor<?x4xf32>
}
// CHECK-LABEL: func.func @lib(
// CHECK: %2 = "tf.BatchFunction"(%x, %s, %1) {Tcaptured = [], Tin = [f32, f32, f32], {{.*}} loc("to_tpu")
// CHECK-LABEL: func.func @api(
// CHECK-NEXT: %0 = "tf.BatchFunction"(%x, %s, %s) {Tcaptured = [], Tin = [f32, f32, f32], {{.*}} loc("api_tpu")
