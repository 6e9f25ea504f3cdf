// Two independent compilable regions: the matmul (38144 units) and a Neg/Abs pair on two
// floats (6 + 6 = 12 units, 0.03% of the model's cost). With the default minimum of 1% only
// the matmul goes to the TPU: the small region would cost a TPU launch and two transfers for
// almost no work; its ops keep the reason. min-cost-percent=0 takes both; a minimum above
// the matmul's share (99.97%) takes none; a minimum outside 0..100 is refused.
// RUN: smopt %s -p tpu-auto-partition | filecheck %s
// RUN: smopt %s -p 'tpu-auto-partition{min-cost-percent=0}' | filecheck %s --check-prefix=ALL
// RUN: smopt %s -p 'tpu-auto-partition{min-cost-percent=99.99}' | filecheck %s --check-prefix=NONE
// RUN: smopt %s -p tpu-auto-partition,tpu-conversion-report -o %t.mlir 2>&1 | filecheck %s --check-prefix=REPORT --strict-whitespace --match-full-lines
// RUN: not smopt %s -p 'tpu-auto-partition{min-cost-percent=101}' 2>&1 | filecheck %s --check-prefix=ERR

// CHECK-LABEL: func.func @serve
// CHECK-NEXT: %0 = "tf.PartitionedCall"(%x, %w) {{.*}}f = @serve_tpu_region_0} {{.*}} loc("tpu_region_0")
// CHECK-NEXT: %1 = "tf.Neg"(%s) {T = f32, smopt.tpu_cpu_reason = "region below 1.00% of the model's cost"} {{.*}} loc("small_neg")
// CHECK-NEXT: %2 = "tf.Abs"(%1) {T = f32, smopt.tpu_cpu_reason = "region below 1.00% of the model's cost"} {{.*}} loc("small_abs")
// CHECK-NEXT: return %0, %2
// CHECK-LABEL: func.func @serve_tpu_region_0(
// CHECK-SAME: smopt.tpu_selected_by = "tpu-auto-partition (99.97% of the model's cost)"
// CHECK-NOT: func.func

// ALL-LABEL: func.func @serve
// ALL-NEXT: "tf.PartitionedCall"(%x, %w) {{.*}}f = @serve_tpu_region_0}
// ALL-NEXT: "tf.PartitionedCall"(%s) {{.*}}f = @serve_tpu_region_1}
// ALL-NEXT: return
// ALL-LABEL: func.func @serve_tpu_region_0(
// ALL-LABEL: func.func @serve_tpu_region_1(
// ALL-SAME: smopt.tpu_auto_min_share = 0.0, smopt.tpu_auto_share = 0.03, smopt.tpu_function = true, smopt.tpu_selected_by = "tpu-auto-partition (0.03% of the model's cost)"

// NONE-LABEL: func.func @serve
// NONE-NEXT: "tf.MatMul"{{.*}}smopt.tpu_cpu_reason = "region below 99.99% of the model's cost"
// NONE-NEXT: "tf.Relu"
// NONE-NEXT: "tf.Neg"
// NONE-NEXT: "tf.Abs"
// NONE-NEXT: return
// NONE-NOT: func.func

//      REPORT:Automatic TPU partitioning (regions of at least 1.00% of the model's cost)
// REPORT-NEXT:================================
// REPORT-NEXT:%         Cost    TPU region
// REPORT-NEXT:--------------------------------
// REPORT-NEXT:99.97     38144   serve_tpu_region_0
// REPORT-NEXT:--------------------------------
// REPORT-NEXT:%         Cost    Kept on the CPU: why (ops)
// REPORT-NEXT:--------------------------------
// REPORT-NEXT:0.03      12      region below 1.00% of the model's cost (Abs, Neg)
// REPORT-NEXT:--------------------------------

// ERR: smopt: error: pass 'tpu-auto-partition' failed: min-cost-percent must be between 0 and 100 (got 101)

"tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, method_name = "tensorflow/serving/predict", input_names = ["x", "s"], input_tensors = ["serving_default_x:0", "serving_default_s:0"], output_names = ["y", "t"], output_tensors = ["StatefulPartitionedCall:0", "StatefulPartitionedCall:1"]} : (tensor<4x64xf32>, tensor<2xf32>) -> (tensor<4x64xf32>, tensor<2xf32>)
func.func @serve(%x: tensor<4x64xf32>, %s: tensor<2xf32>, %w: tensor<64x64xf32>) -> (tensor<4x64xf32> {tf.name = "y"}, tensor<2xf32> {tf.name = "t"}) {
  %0 = "tf.MatMul"(%x, %w) {T = f32, transpose_a = false, transpose_b = false} : (tensor<4x64xf32>, tensor<64x64xf32>) -> tensor<4x64xf32> loc("a_matmul")
  %1 = "tf.Relu"(%0) {T = f32} : (tensor<4x64xf32>) -> tensor<4x64xf32> loc("a_relu")
  %2 = "tf.Neg"(%s) {T = f32} : (tensor<2xf32>) -> tensor<2xf32> loc("small_neg")
  %3 = "tf.Abs"(%2) {T = f32} : (tensor<2xf32>) -> tensor<2xf32> loc("small_abs")
  return %1, %3 : tensor<4x64xf32>, tensor<2xf32>
}
