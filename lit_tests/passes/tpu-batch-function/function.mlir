// Function batching (BatchOptions.experimental.function_alias / concrete_function_name):
// every call site of that function is batched, CPU and TPU work inside it alike.
// RUN: smopt %s --split-input-file -p 'tpu-batch-function{function-alias=batch_func}' | filecheck %s
// RUN: smopt %s --split-input-file -p 'tpu-batch-function{concrete-function-name=batch_fn max-batch-size=4}' | filecheck %s --check-prefix=CONCRETE

// A CPU function whose batched inputs come before the captured ones is `f` itself; the
// TPU function it calls is untouched (it runs inside the batched computation). Call sites
// in library functions and in the main graph are batched (the graph node keeps its name,
// so signature tensor names such as "StatefulPartitionedCall:0" stay valid).
"tf_saved_model.alias"() {sym_name = "batch_func", function = @batch_fn} : () -> ()
tf.graph {
  %0 = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<?x8>} : () -> tensor<?x8xf32> loc("serving_default_x")
  %1 = "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<8>, shared_name = "b"} : () -> tensor<!tf_type.resource> loc("b")
  %2 = "tf.StatefulPartitionedCall"(%0, %1) {Tin = [f32, !tf_type.resource], Tout = [f32], f = @batch_fn} : (tensor<?x8xf32>, tensor<!tf_type.resource>) -> tensor<?x8xf32> loc("StatefulPartitionedCall")
}
func.func @tpu(%x: tensor<?x8xf32>) -> (tensor<?x8xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("relu")
  return %0 : tensor<?x8xf32>
}
func.func @batch_fn(%x: tensor<?x8xf32>, %b: tensor<*x!tf_type.resource<tensor<8xf32>>>) -> (tensor<?x8xf32> {tf.name = "r"}) attributes {tf_saved_model.exported = true} {
  %0, %ctl_0 = "tf.ReadVariableOp"(%b) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<8xf32>>>) -> (tensor<8xf32>, !tf_executor.control) loc("read")
  %1 = "tf.AddV2"(%x, %0) {T = f32} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32> loc("add")
  %2 = "tf.PartitionedCall"(%1) {Tin = [f32], Tout = [f32], f = @tpu} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("to_tpu")
  return %2, %ctl_0 : tensor<?x8xf32>, !tf_executor.control
}
func.func @serve(%x: tensor<?x8xf32>, %b: tensor<*x!tf_type.resource<tensor<8xf32>>>) -> (tensor<?x8xf32> {tf.name = "r"}) {
  %0, %ctl_0 = "tf.StatefulPartitionedCall"(%x, %b) {Tin = [f32, !tf_type.resource], Tout = [f32], f = @batch_fn} : (tensor<?x8xf32>, tensor<*x!tf_type.resource<tensor<8xf32>>>) -> (tensor<?x8xf32>, !tf_executor.control) loc("call")
  %1 = "tf.Exp"(%0) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("exp")
  return %1, %ctl_0 : tensor<?x8xf32>, !tf_executor.control
}
// CHECK: "tf.graph"() ({
// CHECK: %2 = "tf.BatchFunction"(%0, %1) {Tcaptured = [!tf_type.resource], Tin = [f32], Tout = [f32], {{.*}} f = @batch_fn, {{.*}} shared_name = "smopt_batch_{{[0-9a-f]+}}"} : (tensor<?x8xf32>, tensor<!tf_type.resource>) -> tensor<?x8xf32> loc("StatefulPartitionedCall")
// CHECK-LABEL: func.func @tpu(
// CHECK-NEXT: "tf.Relu"
// CHECK-LABEL: func.func @batch_fn(
// CHECK: %2 = "tf.PartitionedCall"(%1) {Tin = [f32], Tout = [f32], f = @tpu}
// CHECK-LABEL: func.func @serve(
// CHECK-NEXT: %0, %ctl_0 = "tf.BatchFunction"(%x, %b) {Tcaptured = [!tf_type.resource], Tin = [f32], Tout = [f32], allowed_batch_sizes = [], batch_timeout_micros = 5000, batching_queue = "", container = "", enable_large_batch_splitting = true, f = @batch_fn, max_batch_size = 8, max_enqueued_batches = 10, num_batch_threads = 2, shared_name = "smopt_batch_{{[0-9a-f]+}}"} : (tensor<?x8xf32>, tensor<*x!tf_type.resource<tensor<8xf32>>>) -> (tensor<?x8xf32>, !tf_executor.control) loc("call")
// CHECK-NEXT: %1 = "tf.Exp"(%0)
// CHECK-NEXT: return %1, %ctl_0
// CHECK-NOT: batch_wrapper

// CONCRETE-LABEL: func.func @serve(
// CONCRETE-NEXT: "tf.BatchFunction"(%x, %b) {{.*}} f = @batch_fn, max_batch_size = 4,

// -----
// Captured inputs before batched ones: `f` is a wrapper that restores the argument order.
"tf_saved_model.alias"() {sym_name = "batch_func", function = @batch_fn} : () -> ()
func.func @batch_fn(%b: tensor<*x!tf_type.resource<tensor<8xf32>>>, %x: tensor<?x8xf32>) -> (tensor<?x8xf32> {tf.name = "r"}) {
  %0 = "tf.ReadVariableOp"(%b) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<8xf32>>>) -> tensor<8xf32> loc("read")
  %1 = "tf.AddV2"(%x, %0) {T = f32} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32> loc("add")
  return %1 : tensor<?x8xf32>
}
func.func @serve(%x: tensor<?x8xf32>, %b: tensor<*x!tf_type.resource<tensor<8xf32>>>) -> (tensor<?x8xf32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%b, %x) {Tin = [!tf_type.resource, f32], Tout = [f32], f = @batch_fn} : (tensor<*x!tf_type.resource<tensor<8xf32>>>, tensor<?x8xf32>) -> tensor<?x8xf32> loc("call")
  return %0 : tensor<?x8xf32>
}
// CHECK-LABEL: func.func @serve(
// CHECK-NEXT: %0 = "tf.BatchFunction"(%x, %b) {Tcaptured = [!tf_type.resource], Tin = [f32], Tout = [f32], {{.*}} f = @batch_fn_batch_wrapper,
// CHECK-LABEL: func.func @batch_fn_batch_wrapper(%x: tensor<?x8xf32> loc("x"), %b: tensor<*x!tf_type.resource<tensor<8xf32>>> loc("b")) -> (tensor<?x8xf32> {tf.name = "r"}) {
// CHECK-NEXT: %0 = "tf.PartitionedCall"(%b, %x) {Tin = [!tf_type.resource, f32], Tout = [f32], f = @batch_fn} {{.*}} loc("call")
// CHECK-NEXT: return %0 : tensor<?x8xf32>

// -----
// The function is already batched (a BatchFunction's `f` is it, or a wrapper that only
// calls it): that BatchFunction gets the new options instead of a second one.
"tf_saved_model.alias"() {sym_name = "batch_func", function = @batch_fn} : () -> ()
func.func @batch_fn(%x: tensor<?x8xf32>) -> (tensor<?x8xf32> {tf.name = "r"}) {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("neg")
  return %0 : tensor<?x8xf32>
}
func.func @wrapper(%x: tensor<?x8xf32>) -> (tensor<?x8xf32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @batch_fn} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("call")
  %1 = "tf.Identity"(%0) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("id")
  return %1 : tensor<?x8xf32>
}
func.func @serve(%x: tensor<?x8xf32>) -> (tensor<?x8xf32> {tf.name = "r"}) {
  %0 = "tf.BatchFunction"(%x) {Tcaptured = [], Tin = [f32], Tout = [f32], allowed_batch_sizes = [64], batch_timeout_micros = 7, f = @wrapper, max_batch_size = 64, num_batch_threads = 1, shared_name = "old"} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("batch")
  return %0 : tensor<?x8xf32>
}
// CHECK-LABEL: func.func @serve(
// CHECK-NEXT: %0 = "tf.BatchFunction"(%x) {Tcaptured = [], Tin = [f32], Tout = [f32], allowed_batch_sizes = [], batch_timeout_micros = 5000, enable_large_batch_splitting = true, f = @wrapper, max_batch_size = 8, max_enqueued_batches = 10, num_batch_threads = 2, shared_name = "old"} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("batch")
// CHECK-NEXT: return %0

// -----
// Main-graph call sites: a Const and a VarHandleOp are the same for every request (captured,
// whatever their shape); Placeholders are fed, a PlaceholderWithDefault too although its
// default is a Const. The function's captured arguments come last, so `f` is the function.
"tf_saved_model.alias"() {sym_name = "batch_func", function = @batch_fn} : () -> ()
tf.graph {
  %0 = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<?x8>} : () -> tensor<?x8xf32> loc("serving_default_x")
  %1 = "tf.Const"() {dtype = f32, value = dense<0.0> : tensor<2x8xf32>} : () -> tensor<2x8xf32> loc("zeros")
  %2 = "tf.PlaceholderWithDefault"(%1) {dtype = f32, shape = #tf_type.shape<?x8>} : (tensor<2x8xf32>) -> tensor<?x8xf32> loc("d")
  %3 = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<3x8xf32>} : () -> tensor<3x8xf32> loc("table")
  %4 = "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<8>, shared_name = "b"} : () -> tensor<!tf_type.resource> loc("b")
  %5 = "tf.StatefulPartitionedCall"(%0, %2, %3, %4) {Tin = [f32, f32, f32, !tf_type.resource], Tout = [f32], f = @batch_fn} : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<3x8xf32>, tensor<!tf_type.resource>) -> tensor<?x8xf32> loc("StatefulPartitionedCall")
}
func.func @batch_fn(%x: tensor<?x8xf32>, %d: tensor<?x8xf32>, %t: tensor<3x8xf32>, %b: tensor<*x!tf_type.resource<tensor<8xf32>>>) -> (tensor<?x8xf32> {tf.name = "r"}) {
  %0 = "tf.ReadVariableOp"(%b) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<8xf32>>>) -> tensor<8xf32> loc("read")
  %1 = "tf.AddV2"(%x, %d) {T = f32} : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> loc("add")
  %2 = "tf.AddV2"(%1, %0) {T = f32} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32> loc("add_1")
  return %2 : tensor<?x8xf32>
}
// CHECK: "tf.graph"() ({
// CHECK: %5 = "tf.BatchFunction"(%0, %2, %3, %4) {Tcaptured = [f32, !tf_type.resource], Tin = [f32, f32], Tout = [f32], {{.*}} f = @batch_fn, {{.*}} loc("StatefulPartitionedCall")
// CONCRETE: "tf.graph"() ({
// CONCRETE: "tf.BatchFunction"(%0, %2, %3, %4) {Tcaptured = [f32, !tf_type.resource], Tin = [f32, f32],
