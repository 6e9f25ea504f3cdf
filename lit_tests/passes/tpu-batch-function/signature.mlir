// Signature batching (BatchOptions.experimental.signature_name): everything from the
// signature's inputs to its outputs runs inside one BatchFunction, CPU and TPU alike.
// RUN: smopt %s --split-input-file -p 'tpu-batch-function{signature-name=serving_default allowed-batch-sizes=2,8}' | filecheck %s

// The entry function keeps its name, arguments (with their bound_input binding) and
// results; its body moves to @<entry>_batch_body, which is `f` (its batched arguments come
// first). The main graph and the signature still call the entry function.
"tf_saved_model.signature"() {sym_name = "serving_default", function = @sig, input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<?x4xf32>) -> (tensor<?x4xf32>)
func.func @tpu(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("relu")
  return %0 : tensor<?x4xf32>
}
func.func @sig(%x: tensor<?x4xf32> {_user_specified_name = "x"}, %v: tensor<*x!tf_type.resource<tensor<4xf32>>> {tf_saved_model.bound_input = 3}) -> (tensor<?x4xf32> {tf.name = "identity"}) attributes {tf_saved_model.exported = true} {
  %0, %ctl_0 = "tf.ReadVariableOp"(%v) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<4xf32>>>) -> (tensor<4xf32>, !tf_executor.control) loc("read")
  %1 = "tf.Mul"(%x, %0) {T = f32} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32> loc("mul")
  %2 = "tf.PartitionedCall"(%1) {Tin = [f32], Tout = [f32], f = @tpu} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("to_tpu")
  return %2, %ctl_0 : tensor<?x4xf32>, !tf_executor.control
}
// CHECK-LABEL: func.func @sig(%x: tensor<?x4xf32> {tf._user_specified_name = "x"} loc("x"), %v: tensor<*x!tf_type.resource<tensor<4xf32>>> {tf_saved_model.bound_input = 3} loc("v")) -> (tensor<?x4xf32> {tf.name = "identity"}, !tf_executor.control) attributes {tf_saved_model.exported = true} {
// CHECK-NEXT: %0, %ctl_0 = "tf.BatchFunction"(%x, %v) {Tcaptured = [!tf_type.resource], Tin = [f32], Tout = [f32], allowed_batch_sizes = [2, 8], batch_timeout_micros = 5000, batching_queue = "", container = "", enable_large_batch_splitting = true, f = @sig_batch_body, max_batch_size = 8, max_enqueued_batches = 10, num_batch_threads = 2, shared_name = "smopt_batch_{{[0-9a-f]+}}"} : (tensor<?x4xf32>, tensor<*x!tf_type.resource<tensor<4xf32>>>) -> (tensor<?x4xf32>, !tf_executor.control) loc("batch")
// CHECK-NEXT: return %0, %ctl_0 : tensor<?x4xf32>, !tf_executor.control
// CHECK-NEXT: }
// CHECK-LABEL: func.func @sig_batch_body(%x: tensor<?x4xf32> {tf._user_specified_name = "x"} loc("x"), %v: tensor<*x!tf_type.resource<tensor<4xf32>>> loc("v")) -> (tensor<?x4xf32> {tf.name = "identity"}, !tf_executor.control) {
// CHECK-NEXT: "tf.ReadVariableOp"(%v)
// CHECK-NEXT: "tf.Mul"
// CHECK-NEXT: "tf.PartitionedCall"(%1) {Tin = [f32], Tout = [f32], f = @tpu}
// CHECK-NEXT: return %2, %ctl_0

// -----
// The signature already holds a BatchFunction: it is updated, nothing is added.
"tf_saved_model.signature"() {sym_name = "serving_default", function = @sig, input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<?x4xf32>) -> (tensor<?x4xf32>)
func.func @body(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("relu")
  return %0 : tensor<?x4xf32>
}
func.func @sig(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "identity"}) {
  %0 = "tf.BatchFunction"(%x) {Tcaptured = [], Tin = [f32], Tout = [f32], f = @body, max_batch_size = 2, num_batch_threads = 1, batch_timeout_micros = 1, shared_name = "s"} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("batch")
  return %0 : tensor<?x4xf32>
}
// CHECK-LABEL: func.func @sig(
// CHECK-NEXT: %0 = "tf.BatchFunction"(%x) {Tcaptured = [], Tin = [f32], Tout = [f32], allowed_batch_sizes = [2, 8], batch_timeout_micros = 5000, enable_large_batch_splitting = true, f = @body, max_batch_size = 8, max_enqueued_batches = 10, num_batch_threads = 2, shared_name = "s"} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("batch")
// CHECK-NEXT: return %0
// CHECK-NOT: _batch_body

// -----
// An entry function that is a TPU function: the body keeps the TPU mark and is called
// through a CPU wrapper, so the BatchFunction stays on the CPU.
"tf_saved_model.signature"() {sym_name = "serving_default", function = @sig, input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<?x4xf32>) -> (tensor<?x4xf32>)
func.func @sig(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "identity"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("relu")
  return %0 : tensor<?x4xf32>
}
// CHECK-LABEL: func.func @sig(%x: tensor<?x4xf32> loc("x")) -> (tensor<?x4xf32> {tf.name = "identity"}) {
// CHECK-NEXT: "tf.BatchFunction"(%x) {{.*}} f = @sig_batch_body_batch_wrapper,
// CHECK-LABEL: func.func @sig_batch_body(%x: tensor<?x4xf32> loc("x")) -> (tensor<?x4xf32> {tf.name = "identity"}) attributes {smopt.tpu_function = true} {
// CHECK-LABEL: func.func @sig_batch_body_batch_wrapper(%x: tensor<?x4xf32> loc("x")) -> (tensor<?x4xf32> {tf.name = "identity"}, !tf_executor.control) {
// CHECK-NEXT: "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @sig_batch_body}
