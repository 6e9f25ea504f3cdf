// a_relu feeds b_add directly and through the string round trip (no TPU kernel). Merging
// the two compilable parts along the direct edge would put the string ops both after and
// before one region (a cycle): xla-cluster's contraction refuses it, so there are two TPU
// functions and the second takes a_relu's value as an input, beside the CPU ops' result.
// RUN: smopt %s -p tpu-auto-partition --pass-statistics 2>%t.stats | filecheck %s
// RUN: filecheck %s --check-prefix=STATS < %t.stats

// CHECK-LABEL: func.func @serve
// CHECK-NEXT: %0 = "tf.PartitionedCall"(%x, %w) {{.*}}f = @serve_tpu_region_0} {{.*}} loc("tpu_region_0")
// CHECK-NEXT: %1 = "tf.AsString"(%0)
// CHECK-NEXT: %2 = "tf.StringToNumber"(%1)
// CHECK-NEXT: %3 = "tf.PartitionedCall"(%0, %2, %w) {{.*}}f = @serve_tpu_region_1} {{.*}} loc("tpu_region_1")
// CHECK-NEXT: return %3
// CHECK-LABEL: func.func @serve_tpu_region_0(%arg_0: tensor<4x64xf32> loc("arg_0"), %arg_1: tensor<64x64xf32> loc("arg_1"))
// CHECK-NEXT: "tf.MatMul"{{.*}} loc("a_matmul")
// CHECK-NEXT: "tf.Relu"{{.*}} loc("a_relu")
// CHECK-NEXT: return
// CHECK-LABEL: func.func @serve_tpu_region_1(%arg_0: tensor<4x64xf32> loc("arg_0"), %arg_1: tensor<4x64xf32> loc("arg_1"), %arg_2: tensor<64x64xf32> loc("arg_2"))
// CHECK-NEXT: "tf.AddV2"(%arg_0, %arg_1) {{.*}} loc("b_add")
// CHECK-NEXT: "tf.MatMul"{{.*}} loc("b_matmul")
// CHECK-NEXT: return

// STATS: 2 num-clusters - Number of regions outlined into TPU functions
// STATS: 0 num-small-regions

"tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, method_name = "tensorflow/serving/predict", input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<4x64xf32>) -> (tensor<4x64xf32>)
func.func @serve(%x: tensor<4x64xf32>, %w: tensor<64x64xf32>) -> (tensor<4x64xf32> {tf.name = "y"}) {
  %0 = "tf.MatMul"(%x, %w) {T = f32, transpose_a = false, transpose_b = false} : (tensor<4x64xf32>, tensor<64x64xf32>) -> tensor<4x64xf32> loc("a_matmul")
  %1 = "tf.Relu"(%0) {T = f32} : (tensor<4x64xf32>) -> tensor<4x64xf32> loc("a_relu")
  %2 = "tf.AsString"(%1) {T = f32, fill = "", precision = -1 : i64, scientific = false, shortest = false, width = -1 : i64} : (tensor<4x64xf32>) -> tensor<4x64x!tf_type.string> loc("to_string")
  %3 = "tf.StringToNumber"(%2) {out_type = f32} : (tensor<4x64x!tf_type.string>) -> tensor<4x64xf32> loc("to_number")
  %4 = "tf.AddV2"(%1, %3) {T = f32} : (tensor<4x64xf32>, tensor<4x64xf32>) -> tensor<4x64xf32> loc("b_add")
  %5 = "tf.MatMul"(%4, %w) {T = f32, transpose_a = false, transpose_b = false} : (tensor<4x64xf32>, tensor<64x64xf32>) -> tensor<4x64xf32> loc("b_matmul")
  return %5 : tensor<4x64xf32>
}
