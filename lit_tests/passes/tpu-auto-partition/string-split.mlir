// A string round trip (AsString, StringToNumber: no TPU kernel) splits the serving function:
// the compilable work on each side becomes its own TPU function, the string ops stay on the
// CPU with the reason the report shows. Costs (passes/cost_model.py): MatMul [4,64]x[64,64] =
// 32768 FLOPs + 18432 bytes / 4 = 37376; Relu 256 + 512 = 768; Tanh 1024 + 512 = 1536;
// each string op 32 * 256 + (1024 + 8192) / 4 = 10496. Total 98048.
// RUN: smopt %s -p tpu-auto-partition | filecheck %s
// RUN: smopt %s -p tpu-auto-partition,tpu-conversion-report -o %t.mlir 2>&1 | filecheck %s --check-prefix=REPORT --strict-whitespace --match-full-lines
// The converter's later passes accept the regions as TPU functions.
// RUN: smopt %s -p tpu-auto-partition,tpu-check-indirect-calls,tpu-compatibility-check,tpu-insert-call-stubs | filecheck %s --check-prefix=STUBS

// CHECK-LABEL: func.func @serve
// CHECK-NEXT: %0 = "tf.PartitionedCall"(%x, %w) {Tin = [f32, f32], Tout = [f32], f = @serve_tpu_region_0} : (tensor<4x64xf32>, tensor<64x64xf32>) -> tensor<4x64xf32> loc("tpu_region_0")
// CHECK-NEXT: %1 = "tf.AsString"(%0) {{{.*}}smopt.tpu_cpu_reason = "no XLA kernel for TPU (string op)"{{.*}} loc("to_string")
// CHECK-NEXT: %2 = "tf.StringToNumber"(%1) {out_type = f32, smopt.tpu_cpu_reason = "no XLA kernel for TPU (string op)"} {{.*}} loc("to_number")
// CHECK-NEXT: %3 = "tf.PartitionedCall"(%2, %w) {{.*}}f = @serve_tpu_region_1} {{.*}} loc("tpu_region_1")
// CHECK-NEXT: return %3
// CHECK-LABEL: func.func @serve_tpu_region_0(%arg_0: tensor<4x64xf32> loc("arg_0"), %arg_1: tensor<64x64xf32> loc("arg_1")) -> (tensor<4x64xf32> {tf.name = "output_0"}) attributes {_noinline = true, smopt.tpu_auto_min_share = 1.0, smopt.tpu_auto_share = 38.9, smopt.tpu_function = true, smopt.tpu_selected_by = "tpu-auto-partition (38.90% of the model's cost)"}
// CHECK-NEXT: "tf.MatMul"(%arg_0, %arg_1) {{.*}} loc("a_matmul")
// CHECK-NEXT: "tf.Relu"(%0) {{.*}} loc("a_relu")
// CHECK-NEXT: return %1
// CHECK-LABEL: func.func @serve_tpu_region_1(
// CHECK-SAME: smopt.tpu_selected_by = "tpu-auto-partition (39.69% of the model's cost)"
// CHECK-NEXT: "tf.MatMul"(%arg_0, %arg_1) {{.*}} loc("b_matmul")
// CHECK-NEXT: "tf.Tanh"(%0) {{.*}} loc("b_tanh")
// CHECK-NEXT: return %1

//      REPORT:-------- Conversion Report --------
// REPORT-NEXT:TPU cost of the model: 78.59% (77056/98048)
// REPORT-NEXT:CPU cost of the model: 21.41% (20992/98048)
// REPORT-EMPTY:
// REPORT-NEXT:Cost breakdown
// REPORT-NEXT:================================
// REPORT-NEXT:%         Cost    Name
// REPORT-NEXT:--------------------------------
// REPORT-NEXT:21.41     20992   [CPU cost]
// REPORT-NEXT:38.90     38144   serve_tpu_region_0
// REPORT-NEXT:39.69     38912   serve_tpu_region_1
// REPORT-NEXT:--------------------------------
// REPORT-EMPTY:
// REPORT-NEXT:Automatic TPU partitioning (regions of at least 1.00% of the model's cost)
// REPORT-NEXT:================================
// REPORT-NEXT:%         Cost    TPU region
// REPORT-NEXT:--------------------------------
// REPORT-NEXT:38.90     38144   serve_tpu_region_0
// REPORT-NEXT:39.69     38912   serve_tpu_region_1
// REPORT-NEXT:--------------------------------
// REPORT-NEXT:%         Cost    Kept on the CPU: why (ops)
// REPORT-NEXT:--------------------------------
// REPORT-NEXT:21.41     20992   no XLA kernel for TPU (string op) (AsString, StringToNumber)
// REPORT-NEXT:--------------------------------

// STUBS-LABEL: func.func @serve
// STUBS: "tf.TPUPartitionedCall"({{.*}}f = @serve_tpu_region_0, smopt.tpu_call_stub = true}
// STUBS: "tf.AsString"
// STUBS: "tf.TPUPartitionedCall"({{.*}}f = @serve_tpu_region_1, smopt.tpu_call_stub = true}
// STUBS-LABEL: func.func @serve_tpu_region_0
// STUBS: "tf.TPUReplicateMetadata"
// STUBS-LABEL: func.func @serve_tpu_region_1
// STUBS: "tf.TPUReplicateMetadata"

"tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, method_name = "tensorflow/serving/predict", input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<4x64xf32>) -> (tensor<4x64xf32>)
func.func @serve(%x: tensor<4x64xf32>, %w: tensor<64x64xf32>) -> (tensor<4x64xf32> {tf.name = "y"}) {
  %0 = "tf.MatMul"(%x, %w) {T = f32, transpose_a = false, transpose_b = false} : (tensor<4x64xf32>, tensor<64x64xf32>) -> tensor<4x64xf32> loc("a_matmul")
  %1 = "tf.Relu"(%0) {T = f32} : (tensor<4x64xf32>) -> tensor<4x64xf32> loc("a_relu")
  %2 = "tf.AsString"(%1) {T = f32, fill = "", precision = -1 : i64, scientific = false, shortest = false, width = -1 : i64} : (tensor<4x64xf32>) -> tensor<4x64x!tf_type.string> loc("to_string")
  %3 = "tf.StringToNumber"(%2) {out_type = f32} : (tensor<4x64x!tf_type.string>) -> tensor<4x64xf32> loc("to_number")
  %4 = "tf.MatMul"(%3, %w) {T = f32, transpose_a = false, transpose_b = false} : (tensor<4x64xf32>, tensor<64x64xf32>) -> tensor<4x64xf32> loc("b_matmul")
  %5 = "tf.Tanh"(%4) {T = f32} : (tensor<4x64xf32>) -> tensor<4x64xf32> loc("b_tanh")
  return %5 : tensor<4x64xf32>
}
