// RUN: smopt %s -p share-constants --pass-statistics 2>%t.stats | filecheck %s
// RUN: filecheck %s --check-prefix=STATS < %t.stats

// The 16x16 float32 constant (1024 bytes) that both functions hold is stored once, in a
// function each calls under the constant's node name; control users wait on the call. The
// small constant and the unequal one stay where they are.
// CHECK-LABEL: func.func @f
// CHECK-NEXT: %[[W:.*]] = "tf.PartitionedCall"() {Tin = [], Tout = [f32], f = @smopt_shared_constant_0} : () -> tensor<16x16xf32> loc("w")
// CHECK-NEXT: "tf.Const"() {{.*}} loc("small")
// CHECK-NEXT: "tf.MatMul"(%x, %[[W]])
// CHECK-LABEL: func.func @g
// CHECK-NEXT: %[[W2:.*]], %[[C:.*]] = "tf.PartitionedCall"() {Tin = [], Tout = [f32], f = @smopt_shared_constant_0} : () -> (tensor<16x16xf32>, !tf_executor.control) loc("kernel")
// CHECK-NEXT: "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<16x16xf32>} {{.*}} loc("other")
// CHECK-NEXT: "tf.MatMul"(%y, %[[W2]])
// CHECK: "tf.NoOp"(%[[C]])
// CHECK-LABEL: func.func @smopt_shared_constant_0() -> (tensor<16x16xf32> {tf.name = "output_0"})
// CHECK-NEXT: %0 = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<16x16xf32>} : () -> tensor<16x16xf32> loc("value")
// CHECK-NEXT: return %0

// STATS: ShareConstants (share-constants)
// STATS-NEXT: (S) 1 num-groups
// STATS-NEXT: (S) 2 num-copies-replaced
// STATS-NEXT: (S) 1024 bytes-saved
func.func @f(%x: tensor<?x16xf32>) -> (tensor<?x16xf32> {tf.name = "y"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<16x16xf32>} : () -> tensor<16x16xf32> loc("w")
  %s = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("small")
  %m = "tf.MatMul"(%x, %w) {T = f32} : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32> loc("mm")
  return %m : tensor<?x16xf32>
}
func.func @g(%y: tensor<?x16xf32>) -> (tensor<?x16xf32> {tf.name = "y"}) {
  %w, %ctl = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<16x16xf32>} : () -> (tensor<16x16xf32>, !tf_executor.control) loc("kernel")
  %o = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<16x16xf32>} : () -> tensor<16x16xf32> loc("other")
  %m = "tf.MatMul"(%y, %w) {T = f32} : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32> loc("mm")
  %n = "tf.MatMul"(%m, %o) {T = f32} : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32> loc("mm2")
  %d = "tf.NoOp"(%ctl) : (!tf_executor.control) -> !tf_executor.control loc("done")
  return %n, %d : tensor<?x16xf32>, !tf_executor.control
}
