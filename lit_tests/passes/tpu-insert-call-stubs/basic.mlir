// tpu-insert-call-stubs (target=tpu): CPU callers of TPU functions call them through
// TPUOrdinalSelector + TPUPartitionedCall; the TPU functions' bodies become TPU programs
// (TPUReplicateMetadata, _tpu_replicate, replicated inputs/outputs, TPUCompilationResult).
// Running the pass twice gives the same result (stubbed sites and TPU bodies are recognised).
// RUN: smopt %s --split-input-file -p tpu-insert-call-stubs | filecheck %s
// RUN: smopt %s --split-input-file -p tpu-insert-call-stubs,tpu-insert-call-stubs | filecheck %s

// A call from CPU code: the call keeps its node name, control inputs and users, its
// _-attributes except _XlaMustCompile; config_proto (not a TPUPartitionedCall attr) goes.
// Resource arguments are used in the cluster directly; data arguments are replicated.
// CHECK-LABEL: func.func @tpu_func(
// CHECK-NEXT: [[CTL0:%ctl_[0-9]+]] = "tf.TPUReplicateMetadata"() {_tpu_replicate = "cluster_tpu_func", allow_soft_placement = false, computation_shape = [], device_assignment = [], host_compute_core = [], num_cores_per_replica = 1, num_replicas = 1, padding_map = [], step_marker_location = "STEP_MARK_AT_ENTRY", topology = "", use_spmd_for_xla_partitioning = false, use_tpu = true} : () -> !tf_executor.control loc("TPUReplicateMetadata")
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.TPUReplicatedInput"(%x) {N = 1, T = f32, index = 0} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("input0")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.Identity"([[V0]], [[CTL0]]) {T = f32, _tpu_input_identity = true, _tpu_replicate = "cluster_tpu_func"} : (tensor<?x4xf32>, !tf_executor.control) -> tensor<?x4xf32> loc("replicated_input_0")
// CHECK-NEXT: [[V2:%[0-9]+]], [[CTL1:%ctl_[0-9]+]] = "tf.ReadVariableOp"(%w) {_tpu_replicate = "cluster_tpu_func", dtype = f32} : (tensor<*x!tf_type.resource<tensor<4x4xf32>>>) -> (tensor<4x4xf32>, !tf_executor.control) loc("MatMul/ReadVariableOp")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.MatMul"([[V1]], [[V2]]) {T = f32, _tpu_replicate = "cluster_tpu_func"} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("MatMul")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.Identity"([[V3]]) {T = f32, _tpu_output_identity = true, _tpu_replicate = "cluster_tpu_func", device = "/device:TPU_REPLICATED_CORE:0"} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("tpu_output_identity")
// CHECK-NEXT: [[V5:%[0-9]+]] = "tf.TPUReplicatedOutput"([[V4]]) {T = f32, num_replicas = 1} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("output0")
// CHECK-NEXT: [[V6:%[0-9]+]] = "tf.Identity"([[V5]]) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("output_0_shard_0")
// CHECK-NEXT: [[V7:%[0-9]+]] = "tf.TPUCompilationResult"([[CTL0]]) {_tpu_compilation_status = "cluster_tpu_func"} : (!tf_executor.control) -> tensor<!tf_type.string> loc("TPUCompilationResult")
// CHECK-NEXT: return [[V6]], [[CTL1]] : tensor<?x4xf32>, !tf_executor.control
// CHECK-NEXT: }
// CHECK-LABEL: func.func @serve(
// CHECK-NEXT: [[CTL0:%ctl_[0-9]+]] = "tf.NoOp"() : () -> !tf_executor.control loc("before")
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.TPUOrdinalSelector"() : () -> tensor<?xi32> loc("StatefulPartitionedCall/TPUOrdinalSelector")
// CHECK-NEXT: [[V1:%[0-9]+]], [[CTL1:%ctl_[0-9]+]] = "tf.TPUPartitionedCall"(%x, %w, [[V0]], [[CTL0]]) {Tin = [f32, !tf_type.resource], Tout = [f32], _read_only_resource_inputs = [1], autotuner_thresh = 0, f = @tpu_func, smopt.tpu_call_stub = true} : (tensor<?x4xf32>, tensor<*x!tf_type.resource<tensor<4x4xf32>>>, tensor<?xi32>, !tf_executor.control) -> (tensor<?x4xf32>, !tf_executor.control) loc("StatefulPartitionedCall")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.Relu"([[V1]]) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("Relu")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.Identity"([[V2]], [[CTL1]]) {T = f32} : (tensor<?x4xf32>, !tf_executor.control) -> tensor<?x4xf32> loc("Identity")
// CHECK-NEXT: return [[V3]] : tensor<?x4xf32>
// CHECK-NEXT: }
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
// A TPU function that is a signature's entry: the main graph's call is stubbed in place (the
// signature's tensor names stay valid) and the signature enters a stub function. A returned
// argument leaves through the replicated outputs too.
// CHECK: "tf_saved_model.signature"() {function = @sig_entry_tpu_stub,
// CHECK: "tf.graph"() ({
// CHECK-NEXT: %0 = "tf.Placeholder"()
// CHECK-NEXT: %1 = "tf.TPUOrdinalSelector"() : () -> tensor<?xi32> loc("StatefulPartitionedCall/TPUOrdinalSelector")
// CHECK-NEXT: %2:2 = "tf.TPUPartitionedCall"(%0, %1) {Tin = [f32], Tout = [f32, f32], autotuner_thresh = 0, f = @sig_entry, smopt.tpu_call_stub = true} : (tensor<?x4xf32>, tensor<?xi32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) loc("StatefulPartitionedCall")
// CHECK-NEXT: }
// CHECK-LABEL: func.func @sig_entry(
// CHECK-NEXT: [[CTL0:%ctl_[0-9]+]] = "tf.TPUReplicateMetadata"() {_tpu_replicate = "cluster_sig_entry", allow_soft_placement = false, computation_shape = [], device_assignment = [], host_compute_core = [], num_cores_per_replica = 1, num_replicas = 1, padding_map = [], step_marker_location = "STEP_MARK_AT_ENTRY", topology = "", use_spmd_for_xla_partitioning = false, use_tpu = true} : () -> !tf_executor.control loc("TPUReplicateMetadata")
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.TPUReplicatedInput"(%x) {N = 1, T = f32, index = 0} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("input0")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.Identity"([[V0]], [[CTL0]]) {T = f32, _tpu_input_identity = true, _tpu_replicate = "cluster_sig_entry"} : (tensor<?x4xf32>, !tf_executor.control) -> tensor<?x4xf32> loc("replicated_input_0")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.Relu"([[V1]]) {T = f32, _tpu_replicate = "cluster_sig_entry"} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("Relu")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.Identity"([[V2]]) {T = f32, _tpu_output_identity = true, _tpu_replicate = "cluster_sig_entry", device = "/device:TPU_REPLICATED_CORE:0"} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("tpu_output_identity")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.TPUReplicatedOutput"([[V3]]) {T = f32, num_replicas = 1} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("output0")
// CHECK-NEXT: [[V5:%[0-9]+]] = "tf.Identity"([[V4]]) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("output_0_shard_0")
// CHECK-NEXT: [[V6:%[0-9]+]] = "tf.Identity"([[V1]]) {T = f32, _tpu_output_identity = true, _tpu_replicate = "cluster_sig_entry", device = "/device:TPU_REPLICATED_CORE:0"} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("tpu_output_identity_1")
// CHECK-NEXT: [[V7:%[0-9]+]] = "tf.TPUReplicatedOutput"([[V6]]) {T = f32, num_replicas = 1} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("output1")
// CHECK-NEXT: [[V8:%[0-9]+]] = "tf.Identity"([[V7]]) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("output_1_shard_0")
// CHECK-NEXT: [[V9:%[0-9]+]] = "tf.TPUCompilationResult"([[CTL0]]) {_tpu_compilation_status = "cluster_sig_entry"} : (!tf_executor.control) -> tensor<!tf_type.string> loc("TPUCompilationResult")
// CHECK-NEXT: return [[V5]], [[V8]] : tensor<?x4xf32>, tensor<?x4xf32>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @sig_entry_tpu_stub(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.TPUOrdinalSelector"() : () -> tensor<?xi32> loc("tpu_call/TPUOrdinalSelector")
// CHECK-NEXT: [[V1:%[0-9]+]]:2, [[CTL0:%ctl_[0-9]+]] = "tf.TPUPartitionedCall"(%x, [[V0]]) {Tin = [f32], Tout = [f32, f32], autotuner_thresh = 0, f = @sig_entry, smopt.tpu_call_stub = true} : (tensor<?x4xf32>, tensor<?xi32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, !tf_executor.control) loc("tpu_call")
// CHECK-NEXT: return [[V1]]#0, [[V1]]#1, [[CTL0]] : tensor<?x4xf32>, tensor<?x4xf32>, !tf_executor.control
// CHECK-NEXT: }
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
// outer calls inner directly: not stubbed there; since inner also runs as its own TPU program
// (CPU code references it), outer calls a plain copy. A function-valued attribute in CPU code
// (BatchFunction f) is pointed at a stub function.
// CHECK-LABEL: func.func @inner(
// CHECK-NEXT: [[CTL0:%ctl_[0-9]+]] = "tf.TPUReplicateMetadata"() {_tpu_replicate = "cluster_inner", allow_soft_placement = false, computation_shape = [], device_assignment = [], host_compute_core = [], num_cores_per_replica = 1, num_replicas = 1, padding_map = [], step_marker_location = "STEP_MARK_AT_ENTRY", topology = "", use_spmd_for_xla_partitioning = false, use_tpu = true} : () -> !tf_executor.control loc("TPUReplicateMetadata")
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.TPUReplicatedInput"(%x) {N = 1, T = f32, index = 0} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("input0")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.Identity"([[V0]], [[CTL0]]) {T = f32, _tpu_input_identity = true, _tpu_replicate = "cluster_inner"} : (tensor<?x4xf32>, !tf_executor.control) -> tensor<?x4xf32> loc("replicated_input_0")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.Neg"([[V1]]) {T = f32, _tpu_replicate = "cluster_inner"} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("Neg")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.Identity"([[V2]]) {T = f32, _tpu_output_identity = true, _tpu_replicate = "cluster_inner", device = "/device:TPU_REPLICATED_CORE:0"} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("tpu_output_identity")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.TPUReplicatedOutput"([[V3]]) {T = f32, num_replicas = 1} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("output0")
// CHECK-NEXT: [[V5:%[0-9]+]] = "tf.Identity"([[V4]]) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("output_0_shard_0")
// CHECK-NEXT: [[V6:%[0-9]+]] = "tf.TPUCompilationResult"([[CTL0]]) {_tpu_compilation_status = "cluster_inner"} : (!tf_executor.control) -> tensor<!tf_type.string> loc("TPUCompilationResult")
// CHECK-NEXT: return [[V5]] : tensor<?x4xf32>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @outer(
// CHECK-NEXT: [[CTL0:%ctl_[0-9]+]] = "tf.TPUReplicateMetadata"() {_tpu_replicate = "cluster_outer", allow_soft_placement = false, computation_shape = [], device_assignment = [], host_compute_core = [], num_cores_per_replica = 1, num_replicas = 1, padding_map = [], step_marker_location = "STEP_MARK_AT_ENTRY", topology = "", use_spmd_for_xla_partitioning = false, use_tpu = true} : () -> !tf_executor.control loc("TPUReplicateMetadata")
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.TPUReplicatedInput"(%x) {N = 1, T = f32, index = 0} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("input0")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.Identity"([[V0]], [[CTL0]]) {T = f32, _tpu_input_identity = true, _tpu_replicate = "cluster_outer"} : (tensor<?x4xf32>, !tf_executor.control) -> tensor<?x4xf32> loc("replicated_input_0")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.PartitionedCall"([[V1]]) {Tin = [f32], Tout = [f32], _tpu_replicate = "cluster_outer", f = @inner_tpu_inner} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call_inner")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.Identity"([[V2]]) {T = f32, _tpu_output_identity = true, _tpu_replicate = "cluster_outer", device = "/device:TPU_REPLICATED_CORE:0"} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("tpu_output_identity")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.TPUReplicatedOutput"([[V3]]) {T = f32, num_replicas = 1} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("output0")
// CHECK-NEXT: [[V5:%[0-9]+]] = "tf.Identity"([[V4]]) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("output_0_shard_0")
// CHECK-NEXT: [[V6:%[0-9]+]] = "tf.TPUCompilationResult"([[CTL0]]) {_tpu_compilation_status = "cluster_outer"} : (!tf_executor.control) -> tensor<!tf_type.string> loc("TPUCompilationResult")
// CHECK-NEXT: return [[V5]] : tensor<?x4xf32>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @serve(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.TPUOrdinalSelector"() : () -> tensor<?xi32> loc("call_outer/TPUOrdinalSelector")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.TPUPartitionedCall"(%x, [[V0]]) {Tin = [f32], Tout = [f32], autotuner_thresh = 0, f = @outer, smopt.tpu_call_stub = true} : (tensor<?x4xf32>, tensor<?xi32>) -> tensor<?x4xf32> loc("call_outer")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.BatchFunction"([[V1]]) {Tcaptured = [], Tin = [f32], Tout = [f32], allowed_batch_sizes = [8], batch_timeout_micros = 10, f = @inner_tpu_stub, max_batch_size = 8, num_batch_threads = 1} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("batch")
// CHECK-NEXT: return [[V2]] : tensor<?x4xf32>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @inner_tpu_inner(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Neg"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("Neg")
// CHECK-NEXT: return [[V0]] : tensor<?x4xf32>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @inner_tpu_stub(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.TPUOrdinalSelector"() : () -> tensor<?xi32> loc("tpu_call/TPUOrdinalSelector")
// CHECK-NEXT: [[V1:%[0-9]+]], [[CTL0:%ctl_[0-9]+]] = "tf.TPUPartitionedCall"(%x, [[V0]]) {Tin = [f32], Tout = [f32], autotuner_thresh = 0, f = @inner, smopt.tpu_call_stub = true} : (tensor<?x4xf32>, tensor<?xi32>) -> (tensor<?x4xf32>, !tf_executor.control) loc("tpu_call")
// CHECK-NEXT: return [[V1]], [[CTL0]] : tensor<?x4xf32>, !tf_executor.control
// CHECK-NEXT: }
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
