// TPUReplicateMetadata takes num_cores_per_replica from the option, unless xla-spmd-shard
// recorded the sharding on the function (smopt.sharding.<attr>), which wins.
// RUN: smopt %s -p 'tpu-insert-call-stubs{num-cores-per-replica=2}' | filecheck %s
// RUN: not smopt %s -p 'tpu-insert-call-stubs{num-cores-per-replica=0}' 2>&1 | filecheck %s --check-prefix=BADCORES

// CHECK-LABEL: func.func @plain
// CHECK-NEXT: "tf.TPUReplicateMetadata"() {_tpu_replicate = "cluster_plain", allow_soft_placement = false, computation_shape = [], device_assignment = [], host_compute_core = [], num_cores_per_replica = 2, num_replicas = 1, padding_map = [], step_marker_location = "STEP_MARK_AT_ENTRY", topology = "", use_spmd_for_xla_partitioning = false, use_tpu = true}
func.func @plain(%w: tensor<*x!tf_type.resource<tensor<4xf32>>>) -> (tensor<4xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<4xf32>>>) -> tensor<4xf32> loc("ReadVariableOp")
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @sharded
// CHECK-NEXT: "tf.TPUReplicateMetadata"() {_tpu_replicate = "cluster_sharded", allow_soft_placement = false, computation_shape = [], device_assignment = [0, 0, 0, 0, 0, 0, 0, 1], host_compute_core = [], num_cores_per_replica = 4, num_replicas = 1, padding_map = [], step_marker_location = "STEP_MARK_AT_ENTRY", topology = "topo", use_spmd_for_xla_partitioning = true, use_tpu = true}
func.func @sharded(%w: tensor<*x!tf_type.resource<tensor<4xf32>>>) -> (tensor<4xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true, smopt.sharding.num_cores_per_replica = 4, smopt.sharding.topology = "topo", smopt.sharding.device_assignment = [0, 0, 0, 0, 0, 0, 0, 1], smopt.sharding.use_spmd_for_xla_partitioning = true} {
  %0 = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<4xf32>>>) -> tensor<4xf32> loc("ReadVariableOp")
  return %0 : tensor<4xf32>
}
// A body that already is a TPU program is left alone.
// CHECK-LABEL: func.func @already
// CHECK-NEXT: "tf.TPUReplicateMetadata"() {_tpu_replicate = "cluster", num_replicas = 1}
// CHECK-NEXT: "tf.ReadVariableOp"
// CHECK-NEXT: return
func.func @already(%w: tensor<*x!tf_type.resource<tensor<4xf32>>>) -> (tensor<4xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  "tf.TPUReplicateMetadata"() {_tpu_replicate = "cluster", num_replicas = 1} : () -> () loc("TPUReplicateMetadata")
  %0 = "tf.ReadVariableOp"(%w) {_tpu_replicate = "cluster", dtype = f32} : (tensor<*x!tf_type.resource<tensor<4xf32>>>) -> tensor<4xf32> loc("ReadVariableOp")
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @serve
// CHECK: "tf.TPUPartitionedCall"({{.*}} f = @plain
// CHECK: "tf.TPUPartitionedCall"({{.*}} f = @sharded
// CHECK: "tf.TPUPartitionedCall"({{.*}} f = @already
func.func @serve(%w: tensor<*x!tf_type.resource<tensor<4xf32>>>) -> (tensor<4xf32> {tf.name = "y"}, tensor<4xf32> {tf.name = "z"}, tensor<4xf32> {tf.name = "u"}) {
  %0 = "tf.StatefulPartitionedCall"(%w) {Tin = [!tf_type.resource], Tout = [f32], f = @plain} : (tensor<*x!tf_type.resource<tensor<4xf32>>>) -> tensor<4xf32> loc("a")
  %1 = "tf.StatefulPartitionedCall"(%w) {Tin = [!tf_type.resource], Tout = [f32], f = @sharded} : (tensor<*x!tf_type.resource<tensor<4xf32>>>) -> tensor<4xf32> loc("b")
  %2 = "tf.StatefulPartitionedCall"(%w) {Tin = [!tf_type.resource], Tout = [f32], f = @already} : (tensor<*x!tf_type.resource<tensor<4xf32>>>) -> tensor<4xf32> loc("c")
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
// BADCORES: error: pass 'tpu-insert-call-stubs' failed: num-cores-per-replica must be at least 1, got 0
