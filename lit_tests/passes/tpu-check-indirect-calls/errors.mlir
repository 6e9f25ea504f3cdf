// A TPU function that reaches another TPU function through a non-TPU function is refused
// with the converter's message, one item per offending pair (with its call path), including
// calls through control-flow branches.
// RUN: not smopt %s -p tpu-check-indirect-calls 2>&1 | filecheck %s

// CHECK: smopt: error: pass 'tpu-check-indirect-calls' failed: Unable to place both "__inference_tpu_func_2_46" and "__inference_tpu_func_4_68" on the TPU because "__inference_tpu_func_2_46" indirectly calls "__inference_tpu_func_4_68". This behavior is unsupported because it can cause invalid graphs to be generated. (call path: __inference_tpu_func_2_46 -> __inference_helper_3_57 -> __inference_tpu_func_4_68); Unable to place both "tpu_cond" and "__inference_tpu_func_4_68" on the TPU because "tpu_cond" indirectly calls "__inference_tpu_func_4_68". This behavior is unsupported because it can cause invalid graphs to be generated. (call path: tpu_cond -> then_branch -> deeper -> __inference_tpu_func_4_68)

func.func @__inference_tpu_func_4_68(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("Relu")
  return %0 : tensor<?x4xf32>
}
func.func @__inference_helper_3_57(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) {
  %0 = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @__inference_tpu_func_4_68} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("StatefulPartitionedCall")
  return %0 : tensor<?x4xf32>
}
func.func @__inference_tpu_func_2_46(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @__inference_helper_3_57} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("StatefulPartitionedCall")
  return %0 : tensor<?x4xf32>
}
func.func @tpu_cond(%p: tensor<i1>, %x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.StatelessIf"(%p, %x) {Tcond = i1, Tin = [f32], Tout = [f32], then_branch = @then_branch, else_branch = @else_branch} : (tensor<i1>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("cond")
  return %0 : tensor<?x4xf32>
}
func.func @then_branch(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @deeper} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("PartitionedCall")
  return %0 : tensor<?x4xf32>
}
func.func @deeper(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @__inference_tpu_func_4_68} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("PartitionedCall")
  return %0 : tensor<?x4xf32>
}
func.func @else_branch(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) {
  return %x : tensor<?x4xf32>
}
