// A TPU function calling another TPU function directly is accepted, and nothing changes.
// RUN: smopt %s -p tpu-check-indirect-calls --pass-statistics 2>&1 | filecheck %s

// CHECK-LABEL: func.func @tpu_inner
// CHECK-NEXT: %0 = "tf.Relu"(%x)
// CHECK-NEXT: return %0
func.func @tpu_inner(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("Relu")
  return %0 : tensor<?x4xf32>
}
// CHECK-LABEL: func.func @tpu_outer
// CHECK-NEXT: %0 = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @tpu_inner} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call_inner")
// CHECK-NEXT: %1 = "tf.PartitionedCall"(%0) {Tin = [f32], Tout = [f32], f = @helper} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call_helper")
// CHECK-NEXT: return %1
func.func @tpu_outer(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @tpu_inner} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call_inner")
  %1 = "tf.PartitionedCall"(%0) {Tin = [f32], Tout = [f32], f = @helper} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call_helper")
  return %1 : tensor<?x4xf32>
}
// A non-TPU helper that calls no TPU function is fine.
func.func @helper(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("Neg")
  return %0 : tensor<?x4xf32>
}
// CPU code calling both is fine too.
func.func @serve(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) {
  %0 = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @tpu_outer} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("a")
  %1 = "tf.StatefulPartitionedCall"(%0) {Tin = [f32], Tout = [f32], f = @tpu_inner} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("b")
  return %1 : tensor<?x4xf32>
}
// CHECK: TpuCheckIndirectCalls (tpu-check-indirect-calls)
// CHECK-NEXT: (S) 1 num-direct-tpu-calls
