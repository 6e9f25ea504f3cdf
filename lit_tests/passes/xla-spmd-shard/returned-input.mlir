// An input argument that the TPU function returns directly (its only user is the function's
// return, not an op) is annotated like any input. tests/fuzz/ found this crashing the pass
// ("crashed with AttributeError: 'Function' object has no attribute 'type'").
// RUN: smopt %s -p xla-spmd-shard 2>&1 | filecheck %s
// RUN: smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a040102010122080000000000010000 overrides=x:0}' 2>&1 | filecheck %s --check-prefix=SPLIT
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a040102010122080000000000010000 overrides=x:2}' 2>&1 | filecheck %s --check-prefix=RANK

// CHECK-NOT: crashed
// CHECK-LABEL: func.func @tpu(
// CHECK-NEXT: %0 = "tf.XlaSharding"(%x) {{.*}} smopt.sharding = "{replicated}"
// CHECK-NEXT: return %0 : tensor<?x4xf32>
// CHECK-LABEL: func.func @tpu_rep(
// CHECK-NEXT: %0 = "tf.TPUReplicatedInput"(%y)
// CHECK-NEXT: %1 = "tf.XlaSharding"(%0) {{.*}} smopt.sharding = "{replicated}"
// CHECK-NEXT: return %1, %1 : tensor<?x4xf32>, tensor<?x4xf32>

// SPLIT-LABEL: func.func @tpu(
// SPLIT-NEXT: %0 = "tf.XlaSharding"(%x) {{.*}} smopt.sharding = "{devices=[2,1]0,1}"
// SPLIT-NEXT: return %0

// RANK: smopt: error: pass 'xla-spmd-shard' failed: override 'x:2' splits dimension 2 of input %x (tensor<?x4xf32>), which has rank 2
func.func @tpu(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  return %x : tensor<?x4xf32>
}
func.func @tpu_rep(%y: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}, tensor<?x4xf32> {tf.name = "s"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.TPUReplicatedInput"(%y) {N = 1, T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("rep")
  return %0, %0 : tensor<?x4xf32>, tensor<?x4xf32>
}
