// Default batching: every call of a TPU function from CPU code becomes a BatchFunction
// (same node name) whose `f` is a CPU wrapper calling the TPU function like the call did.
// RUN: smopt %s --split-input-file -p tpu-batch-function | filecheck %s
// RUN: smopt %s --split-input-file -p 'tpu-batch-function{num-batch-threads=4 max-batch-size=16 batch-timeout-micros=100 allowed-batch-sizes=4,8,16 max-enqueued-batches=3 disable-large-batch-splitting=true}' | filecheck %s --check-prefix=OPTS
// RUN: smopt %s --split-input-file -p tpu-batch-function --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=STATS

// Resource handles are captured (not batched), the data input is batched; the BatchFunction
// carries the options (defaults: 2 threads, max 8, 5000us, no padding sizes, 10 queued,
// large batch splitting on) and a shared_name unique to this call site.
func.func @tpu(%x: tensor<?x10xf32> {_user_specified_name = "x"}, %w: tensor<*x!tf_type.resource<tensor<10x16xf32>>> {tf_saved_model.bound_input = 1}) -> (tensor<?x16xf32> {tf.name = "identity"}) attributes {smopt.tpu_function = true} {
  %0, %ctl_0 = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<10x16xf32>>>) -> (tensor<10x16xf32>, !tf_executor.control) loc("read")
  %1 = "tf.MatMul"(%x, %0) {T = f32} : (tensor<?x10xf32>, tensor<10x16xf32>) -> tensor<?x16xf32> loc("MatMul")
  return %1, %ctl_0 : tensor<?x16xf32>, !tf_executor.control
}
func.func @serve(%x: tensor<?x10xf32>, %w: tensor<*x!tf_type.resource<tensor<10x16xf32>>>) -> (tensor<?x16xf32> {tf.name = "identity"}) {
  %0, %ctl_0 = "tf.StatefulPartitionedCall"(%x, %w) {Tin = [f32, !tf_type.resource], Tout = [f32], _read_only_resource_inputs = [1], f = @tpu} : (tensor<?x10xf32>, tensor<*x!tf_type.resource<tensor<10x16xf32>>>) -> (tensor<?x16xf32>, !tf_executor.control) loc("StatefulPartitionedCall")
  %ctl_1 = "tf.NoOp"(%ctl_0) : (!tf_executor.control) -> !tf_executor.control loc("NoOp")
  %1 = "tf.Identity"(%0, %ctl_1) {T = f32} : (tensor<?x16xf32>, !tf_executor.control) -> tensor<?x16xf32> loc("Identity")
  return %1, %ctl_0 : tensor<?x16xf32>, !tf_executor.control
}
// CHECK-LABEL: func.func @tpu(
// CHECK-SAME: smopt.tpu_function = true
// CHECK-NEXT: "tf.ReadVariableOp"
// CHECK-LABEL: func.func @serve(
// CHECK-NEXT: %0, %ctl_0 = "tf.BatchFunction"(%x, %w) {Tcaptured = [!tf_type.resource], Tin = [f32], Tout = [f32], allowed_batch_sizes = [], batch_timeout_micros = 5000, batching_queue = "", container = "", enable_large_batch_splitting = true, f = @tpu_batch_wrapper, max_batch_size = 8, max_enqueued_batches = 10, num_batch_threads = 2, shared_name = "smopt_batch_{{[0-9a-f]+}}"} : (tensor<?x10xf32>, tensor<*x!tf_type.resource<tensor<10x16xf32>>>) -> (tensor<?x16xf32>, !tf_executor.control) loc("StatefulPartitionedCall")
// CHECK-NEXT: %ctl_1 = "tf.NoOp"(%ctl_0)
// CHECK-NEXT: %1 = "tf.Identity"(%0, %ctl_1)
// CHECK-NEXT: return %1, %ctl_0
// CHECK-LABEL: func.func @tpu_batch_wrapper(%x: tensor<?x10xf32> {tf._user_specified_name = "x"} loc("x"), %w: tensor<*x!tf_type.resource<tensor<10x16xf32>>> loc("w")) -> (tensor<?x16xf32> {tf.name = "identity"}, !tf_executor.control) {
// CHECK-NEXT: %0, %ctl_0 = "tf.StatefulPartitionedCall"(%x, %w) {Tin = [f32, !tf_type.resource], Tout = [f32], _read_only_resource_inputs = [1], f = @tpu} : (tensor<?x10xf32>, tensor<*x!tf_type.resource<tensor<10x16xf32>>>) -> (tensor<?x16xf32>, !tf_executor.control) loc("StatefulPartitionedCall")
// CHECK-NEXT: return %0, %ctl_0 : tensor<?x16xf32>, !tf_executor.control
// CHECK-NEXT: }

// OPTS-LABEL: func.func @serve(
// OPTS-NEXT: "tf.BatchFunction"(%x, %w) {Tcaptured = [!tf_type.resource], Tin = [f32], Tout = [f32], allowed_batch_sizes = [4, 8, 16], batch_timeout_micros = 100, batching_queue = "", container = "", enable_large_batch_splitting = false, f = @tpu_batch_wrapper, max_batch_size = 16, max_enqueued_batches = 3, num_batch_threads = 4, shared_name = "smopt_batch_{{[0-9a-f]+}}"}

// STATS: TpuBatchFunction
// STATS-NEXT: 1 num-batched - Number of call sites batched
// STATS-NEXT: 0 num-updated - Number of existing BatchFunction ops updated

// -----
// Constants are the same for every request: captured. Batched inputs go first, captured
// ones after (the wrapper's arguments follow that order and it calls the TPU function with
// the original order). Two call sites: two BatchFunctions (own queues: different
// shared_names) sharing one wrapper.
// A TPU function calling another TPU function directly is TPU code: not batched.
func.func @inner(%a: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Neg"(%a) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("neg")
  return %0 : tensor<?x4xf32>
}
func.func @tpu2(%s: tensor<3xf32>, %a: tensor<?x4xf32>, %b: tensor<?x4xi32>) -> (tensor<?x4xf32> {tf.name = "r"}, tensor<?xi32> {tf.name = "n"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.PartitionedCall"(%a) {Tin = [f32], Tout = [f32], f = @inner} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("to_inner")
  %1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("axis")
  %2 = "tf.Sum"(%b, %1) {T = i32, Tidx = i32} : (tensor<?x4xi32>, tensor<i32>) -> tensor<?xi32> loc("sum")
  return %0, %2 : tensor<?x4xf32>, tensor<?xi32>
}
func.func @main(%a: tensor<?x4xf32>, %b: tensor<?x4xi32>) -> (tensor<?x4xf32> {tf.name = "r"}, tensor<?xi32> {tf.name = "n"}) {
  %c = "tf.Const"() {dtype = f32, value = dense<[1.0, 2.0, 3.0]> : tensor<3xf32>} : () -> tensor<3xf32> loc("c")
  %0:2 = "tf.PartitionedCall"(%c, %a, %b) {Tin = [f32, f32, i32], Tout = [f32, i32], f = @tpu2} : (tensor<3xf32>, tensor<?x4xf32>, tensor<?x4xi32>) -> (tensor<?x4xf32>, tensor<?xi32>) loc("first")
  %1:2 = "tf.PartitionedCall"(%c, %0#0, %b) {Tin = [f32, f32, i32], Tout = [f32, i32], f = @tpu2} : (tensor<3xf32>, tensor<?x4xf32>, tensor<?x4xi32>) -> (tensor<?x4xf32>, tensor<?xi32>) loc("second")
  return %1#0, %0#1 : tensor<?x4xf32>, tensor<?xi32>
}
// CHECK-LABEL: func.func @tpu2(
// CHECK: "tf.PartitionedCall"(%a) {Tin = [f32], Tout = [f32], f = @inner}
// CHECK-LABEL: func.func @main(
// CHECK-NEXT: %0 = "tf.Const"()
// CHECK-NEXT: %1:2 = "tf.BatchFunction"(%a, %b, %0) {Tcaptured = [f32], Tin = [f32, i32], Tout = [f32, i32], {{.*}} f = @tpu2_batch_wrapper, {{.*}} shared_name = "smopt_batch_91a0467e5479c275"} : (tensor<?x4xf32>, tensor<?x4xi32>, tensor<3xf32>) -> (tensor<?x4xf32>, tensor<?xi32>) loc("first")
// CHECK-NEXT: %2:2 = "tf.BatchFunction"(%1#0, %b, %0) {{.*}} f = @tpu2_batch_wrapper, {{.*}} shared_name = "smopt_batch_50f764a2e4cfcf00"} {{.*}} loc("second")
// CHECK-NEXT: return %2#0, %1#1
// CHECK-LABEL: func.func @tpu2_batch_wrapper(%a: tensor<?x4xf32> loc("a"), %b: tensor<?x4xi32> loc("b"), %s: tensor<3xf32> loc("s")) -> (tensor<?x4xf32> {tf.name = "r"}, tensor<?xi32> {tf.name = "n"}) {
// CHECK-NEXT: %0:2 = "tf.PartitionedCall"(%s, %a, %b) {Tin = [f32, f32, i32], Tout = [f32, i32], f = @tpu2} : (tensor<3xf32>, tensor<?x4xf32>, tensor<?x4xi32>) -> (tensor<?x4xf32>, tensor<?xi32>) loc("first")
// CHECK-NEXT: return %0#0, %0#1 : tensor<?x4xf32>, tensor<?xi32>
// CHECK-NOT: func.func @tpu2_batch_wrapper_1

// STATS: 2 num-batched

// -----
// No TPU function: nothing to batch (no-op).
func.func @cpu_only(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @helper} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call")
  return %0 : tensor<?x4xf32>
}
func.func @helper(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  return %x : tensor<?x4xf32>
}
// CHECK-LABEL: func.func @cpu_only(
// CHECK-NEXT: %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @helper}
// CHECK-LABEL: func.func @helper(
// CHECK-NOT: BatchFunction
// CHECK: {{^}}}

// STATS: 0 num-batched

// -----
// Updating an existing BatchFunction ("Vorhandene Stapelverarbeitungsoptionen
// aktualisieren"): its options change, `f`, shared_name and inputs stay, and the TPU call
// inside its computation is not batched a second time.
func.func @tpu(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  return %x : tensor<?x4xf32>
}
func.func @batched(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @tpu} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call")
  return %0 : tensor<?x4xf32>
}
func.func @serve(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %0 = "tf.BatchFunction"(%x) {Tcaptured = [], Tin = [f32], Tout = [f32], allowed_batch_sizes = [32], batch_timeout_micros = 1, enable_large_batch_splitting = false, f = @batched, max_batch_size = 32, num_batch_threads = 1, shared_name = "mine"} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("batch")
  return %0 : tensor<?x4xf32>
}
// CHECK-LABEL: func.func @batched(
// CHECK-NEXT: "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @tpu}
// CHECK-LABEL: func.func @serve(
// CHECK-NEXT: %0 = "tf.BatchFunction"(%x) {Tcaptured = [], Tin = [f32], Tout = [f32], allowed_batch_sizes = [], batch_timeout_micros = 5000, enable_large_batch_splitting = true, f = @batched, max_batch_size = 8, max_enqueued_batches = 10, num_batch_threads = 2, shared_name = "mine"} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("batch")
// OPTS-LABEL: func.func @serve(
// OPTS-NEXT: "tf.BatchFunction"(%x) {Tcaptured = [], Tin = [f32], Tout = [f32], allowed_batch_sizes = [4, 8, 16], batch_timeout_micros = 100, enable_large_batch_splitting = false, f = @batched, max_batch_size = 16, max_enqueued_batches = 3, num_batch_threads = 4, shared_name = "mine"}

// STATS: 0 num-batched
// STATS-NEXT: 1 num-updated

// -----
// A TPU function that is a signature's entry function is batched like a signature (its
// body moves to a TPU function that a CPU wrapper calls; the entry keeps its name and
// signature and becomes CPU code holding the BatchFunction). Its CPU call sites then reach
// the BatchFunction through the entry and are not batched a second time.
"tf_saved_model.signature"() {sym_name = "serving_default", function = @entry, input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<?x4xf32>) -> (tensor<?x4xf32>)
func.func @entry(%x: tensor<?x4xf32> {_user_specified_name = "x"}) -> (tensor<?x4xf32> {tf.name = "identity"}) attributes {smopt.tpu_function = true, smopt.tpu_selected_by = "signature_name 'serving_default'", tf_saved_model.exported = true} {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("relu")
  return %0 : tensor<?x4xf32>
}
func.func @other(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @entry} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call")
  return %0 : tensor<?x4xf32>
}
// CHECK-LABEL: func.func @entry(%x: tensor<?x4xf32> {tf._user_specified_name = "x"} loc("x")) -> (tensor<?x4xf32> {tf.name = "identity"}) attributes {tf_saved_model.exported = true} {
// CHECK-NEXT: %0 = "tf.BatchFunction"(%x) {Tcaptured = [], Tin = [f32], Tout = [f32], {{.*}} f = @entry_batch_body_batch_wrapper, {{.*}} loc("batch")
// CHECK-NEXT: return %0
// CHECK-LABEL: func.func @other(
// CHECK-NEXT: "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @entry}
// CHECK-LABEL: func.func @entry_batch_body(%x: tensor<?x4xf32> {tf._user_specified_name = "x"} loc("x")) -> (tensor<?x4xf32> {tf.name = "identity"}) attributes {smopt.tpu_function = true, smopt.tpu_selected_by = "signature_name 'serving_default'"} {
// CHECK-NEXT: "tf.Relu"(%x)
// CHECK-LABEL: func.func @entry_batch_body_batch_wrapper(%x: tensor<?x4xf32> {tf._user_specified_name = "x"} loc("x"))
// CHECK-NEXT: "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @entry_batch_body} {{.*}} loc("batch")

// STATS: 1 num-batched
