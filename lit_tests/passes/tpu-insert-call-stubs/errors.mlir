// The stub pass refuses what tpu-check-indirect-calls refuses (it would put the stub's CPU
// ops into a TPU program), with the same message.
// RUN: not smopt %s -p tpu-insert-call-stubs 2>&1 | filecheck %s
// RUN: not smopt %s -p 'tpu-insert-call-stubs{target=cpu}' 2>&1 | filecheck %s

// CHECK: smopt: error: pass 'tpu-insert-call-stubs' failed: Unable to place both "tpu_a" and "tpu_b" on the TPU because "tpu_a" indirectly calls "tpu_b". This behavior is unsupported because it can cause invalid graphs to be generated. (call path: tpu_a -> helper -> tpu_b)
func.func @tpu_b(%x: tensor<f32>) -> (tensor<f32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  return %x : tensor<f32>
}
func.func @helper(%x: tensor<f32>) -> (tensor<f32> {tf.name = "y"}) {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @tpu_b} : (tensor<f32>) -> tensor<f32> loc("call")
  return %0 : tensor<f32>
}
func.func @tpu_a(%x: tensor<f32>) -> (tensor<f32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @helper} : (tensor<f32>) -> tensor<f32> loc("call")
  return %0 : tensor<f32>
}
