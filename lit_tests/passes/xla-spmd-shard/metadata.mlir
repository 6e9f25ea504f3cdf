// A TPUReplicateMetadata op in the TPU function (tpu-insert-call-stubs puts one there) gets
// the XlaShardingOptions as attributes; then none are recorded on the function.
// Running the pass twice changes nothing the second time.
// RUN: smopt %s --split-input-file -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a040101010222080000000000000001}' | filecheck %s
// RUN: smopt %s --split-input-file -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a040101010222080000000000000001},xla-spmd-shard{num-cores-per-replica=2 topology=0a040101010222080000000000000001}' | filecheck %s

// CHECK-LABEL: func.func @tpu
// CHECK-SAME: attributes {smopt.sharding.mesh_shape = [1, 1, 1, 2], smopt.tpu_function = true}
// CHECK-NEXT: %0 = "tf.XlaSharding"(%x) {{.*}} loc("x/XlaSharding")
// CHECK-NEXT: "tf.TPUReplicateMetadata"() {_tpu_replicate = "cluster", device_assignment = [0, 0, 0, 0, 0, 0, 0, 1], num_cores_per_replica = 2, num_replicas = 1, topology = "\0A\04\01\01\01\02\22\08\00\00\00\00\00\00\00\01", use_spmd_for_xla_partitioning = true} : () -> () loc("TPUReplicateMetadata")
// CHECK-NEXT: %1 = "tf.ReadVariableOp"(%w)
// CHECK-NEXT: %2 = "tf.XlaSharding"(%1) {{.*}} smopt.sharding = "{devices=[2,1]0,1}"
// CHECK-NEXT: %3 = "tf.MatMul"(%0, %2)
// CHECK-NEXT: return %3
func.func @tpu(%x: tensor<?x8xf32>, %w: tensor<*x!tf_type.resource<tensor<8x4xf32>>>) -> (tensor<?x4xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  "tf.TPUReplicateMetadata"() {_tpu_replicate = "cluster", num_replicas = 1} : () -> () loc("TPUReplicateMetadata")
  %0 = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<8x4xf32>>>) -> tensor<8x4xf32> loc("ReadVariableOp")
  %1 = "tf.MatMul"(%x, %0) {T = f32} : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32> loc("MatMul")
  return %1 : tensor<?x4xf32>
}

// -----
// A TPU program (as tpu-insert-call-stubs leaves it): the new ops join the cluster, and the
// input is annotated where it enters the computation, after its TPUReplicatedInput and
// `_tpu_input_identity` Identity.
// CHECK-LABEL: func.func @program
// CHECK-NEXT: %ctl_0 = "tf.TPUReplicateMetadata"() {_tpu_replicate = "cluster_program", device_assignment = [0, 0, 0, 0, 0, 0, 0, 1], num_cores_per_replica = 2
// CHECK-NEXT: %0 = "tf.TPUReplicatedInput"(%x)
// CHECK-NEXT: %1 = "tf.Identity"(%0, %ctl_0)
// CHECK-NEXT: %2 = "tf.XlaSharding"(%1) {T = f32, _XlaSharding = "", _tpu_replicate = "cluster_program", sharding = "", smopt.sharding = "{replicated}", unspecified_dims = []} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("x/XlaSharding")
// CHECK-NEXT: %3 = "tf.ReadVariableOp"(%w)
// CHECK-NEXT: %4 = "tf.XlaSharding"(%3) {{.*}} _tpu_replicate = "cluster_program", {{.*}} smopt.sharding = "{devices=[2,1]0,1}"
// CHECK-NEXT: %5 = "tf.MatMul"(%2, %4)
func.func @program(%x: tensor<?x8xf32>, %w: tensor<*x!tf_type.resource<tensor<8x4xf32>>>) -> (tensor<?x4xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  %ctl = "tf.TPUReplicateMetadata"() {_tpu_replicate = "cluster_program", num_replicas = 1} : () -> !tf_executor.control loc("TPUReplicateMetadata")
  %0 = "tf.TPUReplicatedInput"(%x) {N = 1, T = f32, index = 0} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("input0")
  %1 = "tf.Identity"(%0, %ctl) {T = f32, _tpu_input_identity = true, _tpu_replicate = "cluster_program"} : (tensor<?x8xf32>, !tf_executor.control) -> tensor<?x8xf32> loc("replicated_input_0")
  %2 = "tf.ReadVariableOp"(%w) {_tpu_replicate = "cluster_program", dtype = f32} : (tensor<*x!tf_type.resource<tensor<8x4xf32>>>) -> tensor<8x4xf32> loc("ReadVariableOp")
  %3 = "tf.MatMul"(%1, %2) {T = f32, _tpu_replicate = "cluster_program"} : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32> loc("MatMul")
  return %3 : tensor<?x4xf32>
}
