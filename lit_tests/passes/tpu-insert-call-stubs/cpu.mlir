// tpu-insert-call-stubs{target=cpu}: the same call sites become StatefulPartitionedCall
// (stub functions likewise) and no TPU-only op or attribute is added, so the model runs on a
// CPU with the original results.
// RUN: smopt %s --split-input-file -p 'tpu-insert-call-stubs{target=cpu}' | filecheck %s --check-prefix=CPU
// RUN: smopt %s --split-input-file -p 'tpu-insert-call-stubs{target=cpu},tpu-insert-call-stubs{target=cpu}' | filecheck %s --check-prefix=CPU
// RUN: smopt %s --split-input-file -p 'tpu-insert-call-stubs{target=cpu}' | filecheck %s --check-prefix=NOTPU
// NOTPU-NOT: tf.TPU
// NOTPU-NOT: _tpu_replicate

// A call from CPU code stays a StatefulPartitionedCall (attributes kept); the TPU function
// is unchanged.
// CPU-LABEL: func.func @tpu_func(
// CPU-NEXT: [[V0:%[0-9]+]], [[CTL0:%ctl_[0-9]+]] = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<4x4xf32>>>) -> (tensor<4x4xf32>, !tf_executor.control) loc("MatMul/ReadVariableOp")
// CPU-NEXT: [[V1:%[0-9]+]] = "tf.MatMul"(%x, [[V0]]) {T = f32} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("MatMul")
// CPU-NEXT: return [[V1]], [[CTL0]] : tensor<?x4xf32>, !tf_executor.control
// CPU-NEXT: }
// CPU-LABEL: func.func @serve(
// CPU-NEXT: [[CTL0:%ctl_[0-9]+]] = "tf.NoOp"() : () -> !tf_executor.control loc("before")
// CPU-NEXT: [[V0:%[0-9]+]], [[CTL1:%ctl_[0-9]+]] = "tf.StatefulPartitionedCall"(%x, %w, [[CTL0]]) {Tin = [f32, !tf_type.resource], Tout = [f32], _XlaMustCompile = true, _read_only_resource_inputs = [1], config_proto = "", f = @tpu_func, smopt.tpu_call_stub = true} : (tensor<?x4xf32>, tensor<*x!tf_type.resource<tensor<4x4xf32>>>, !tf_executor.control) -> (tensor<?x4xf32>, !tf_executor.control) loc("StatefulPartitionedCall")
// CPU-NEXT: [[V1:%[0-9]+]] = "tf.Relu"([[V0]]) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("Relu")
// CPU-NEXT: [[V2:%[0-9]+]] = "tf.Identity"([[V1]], [[CTL1]]) {T = f32} : (tensor<?x4xf32>, !tf_executor.control) -> tensor<?x4xf32> loc("Identity")
// CPU-NEXT: return [[V2]] : tensor<?x4xf32>
// CPU-NEXT: }
"tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, method_name = "tensorflow/serving/predict", input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<?x4xf32>) -> (tensor<?x4xf32>)
"tf_saved_model.alias"() {sym_name = "tpu_func", function = @tpu_func} : () -> ()
func.func @tpu_func(%x: tensor<?x4xf32> {_user_specified_name = "x"}, %w: tensor<*x!tf_type.resource<tensor<4x4xf32>>> {tf_saved_model.bound_input = 1}) -> (tensor<?x4xf32> {tf.name = "identity"}) attributes {smopt.tpu_function = true} {
  %0, %c = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<4x4xf32>>>) -> (tensor<4x4xf32>, !tf_executor.control) loc("MatMul/ReadVariableOp")
  %1 = "tf.MatMul"(%x, %0) {T = f32} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("MatMul")
  return %1, %c : tensor<?x4xf32>, !tf_executor.control
}
func.func @serve(%x: tensor<?x4xf32>, %w: tensor<*x!tf_type.resource<tensor<4x4xf32>>>) -> (tensor<?x4xf32> {tf.name = "identity"}) {
  %b = "tf.NoOp"() : () -> !tf_executor.control loc("before")
  %0, %c = "tf.StatefulPartitionedCall"(%x, %w, %b) {Tin = [f32, !tf_type.resource], Tout = [f32], _XlaMustCompile = true, _read_only_resource_inputs = [1], config_proto = "", f = @tpu_func} : (tensor<?x4xf32>, tensor<*x!tf_type.resource<tensor<4x4xf32>>>, !tf_executor.control) -> (tensor<?x4xf32>, !tf_executor.control) loc("StatefulPartitionedCall")
  %1 = "tf.Relu"(%0) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("Relu")
  %2 = "tf.Identity"(%1, %c) {T = f32} : (tensor<?x4xf32>, !tf_executor.control) -> tensor<?x4xf32> loc("Identity")
  return %2 : tensor<?x4xf32>
}

// -----
// A signature's TPU entry: the signature enters a stub function whose body is a
// StatefulPartitionedCall; the main graph's call stays a StatefulPartitionedCall.
// CPU: "tf_saved_model.signature"() {function = @sig_entry_tpu_stub,
// CPU: "tf.graph"() ({
// CPU-NEXT: %0 = "tf.Placeholder"()
// CPU-NEXT: %1:2 = "tf.StatefulPartitionedCall"(%0) {Tin = [f32], Tout = [f32, f32], config_proto = "", f = @sig_entry, smopt.tpu_call_stub = true} : (tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) loc("StatefulPartitionedCall")
// CPU-NEXT: }
// CPU-LABEL: func.func @sig_entry(
// CPU-NEXT: [[V0:%[0-9]+]] = "tf.Relu"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("Relu")
// CPU-NEXT: return [[V0]], %x : tensor<?x4xf32>, tensor<?x4xf32>
// CPU-NEXT: }
// CPU-LABEL: func.func @sig_entry_tpu_stub(
// CPU-NEXT: [[V0:%[0-9]+]]:2, [[CTL0:%ctl_[0-9]+]] = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32, f32], f = @sig_entry, smopt.tpu_call_stub = true} : (tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, !tf_executor.control) loc("tpu_call")
// CPU-NEXT: return [[V0]]#0, [[V0]]#1, [[CTL0]] : tensor<?x4xf32>, tensor<?x4xf32>, !tf_executor.control
// CPU-NEXT: }
"tf_saved_model.signature"() {sym_name = "serving_default", function = @sig_entry, method_name = "tensorflow/serving/predict", input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y", "x"], output_tensors = ["StatefulPartitionedCall:0", "StatefulPartitionedCall:1"]} : (tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>)
tf.graph {
  %x = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<?x4>} : () -> tensor<?x4xf32> loc("serving_default_x")
  %0:2 = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32, f32], config_proto = "", f = @sig_entry} : (tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) loc("StatefulPartitionedCall")
}
func.func @sig_entry(%x: tensor<?x4xf32> {_user_specified_name = "x"}) -> (tensor<?x4xf32> {tf.name = "y"}, tensor<?x4xf32> {tf.name = "x_out"}) attributes {smopt.tpu_function = true, tf_saved_model.exported = true} {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("Relu")
  return %0, %x : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----
// PartitionedCall from CPU code becomes a StatefulPartitionedCall; no copies are needed
// (nothing is added to TPU bodies); BatchFunction f points at a stub function.
// CPU-LABEL: func.func @inner(
// CPU-NEXT: [[V0:%[0-9]+]] = "tf.Neg"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("Neg")
// CPU-NEXT: return [[V0]] : tensor<?x4xf32>
// CPU-NEXT: }
// CPU-LABEL: func.func @outer(
// CPU-NEXT: [[V0:%[0-9]+]] = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @inner} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call_inner")
// CPU-NEXT: return [[V0]] : tensor<?x4xf32>
// CPU-NEXT: }
// CPU-LABEL: func.func @serve(
// CPU-NEXT: [[V0:%[0-9]+]] = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @outer, smopt.tpu_call_stub = true} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call_outer")
// CPU-NEXT: [[V1:%[0-9]+]] = "tf.BatchFunction"([[V0]]) {Tcaptured = [], Tin = [f32], Tout = [f32], allowed_batch_sizes = [8], batch_timeout_micros = 10, f = @inner_tpu_stub, max_batch_size = 8, num_batch_threads = 1} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("batch")
// CPU-NEXT: return [[V1]] : tensor<?x4xf32>
// CPU-NEXT: }
// CPU-LABEL: func.func @inner_tpu_stub(
// CPU-NEXT: [[V0:%[0-9]+]], [[CTL0:%ctl_[0-9]+]] = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @inner, smopt.tpu_call_stub = true} : (tensor<?x4xf32>) -> (tensor<?x4xf32>, !tf_executor.control) loc("tpu_call")
// CPU-NEXT: return [[V0]], [[CTL0]] : tensor<?x4xf32>, !tf_executor.control
// CPU-NEXT: }
func.func @inner(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("Neg")
  return %0 : tensor<?x4xf32>
}
func.func @outer(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @inner} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call_inner")
  return %0 : tensor<?x4xf32>
}
func.func @serve(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @outer} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call_outer")
  %1 = "tf.BatchFunction"(%0) {f = @inner, Tin = [f32], Tout = [f32], Tcaptured = [], num_batch_threads = 1, max_batch_size = 8, batch_timeout_micros = 10, allowed_batch_sizes = [8]} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("batch")
  return %1 : tensor<?x4xf32>
}
