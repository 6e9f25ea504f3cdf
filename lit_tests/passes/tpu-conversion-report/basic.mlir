// The conversion report, in the seed's layout, over what the signatures run. Costs (see
// passes/cost_model.py): Neg on 339 f32 = 339 FLOPs + 2712 bytes / 4 = 1017 per TPU function;
// CPU: Add on 16 f32 = 16 + 192/4 = 64, Neg on 2 f32 = 2 + 16/4 = 6, calls are free: 70.
// RUN: smopt %s -p tpu-conversion-report -o %t.mlir 2>&1 | filecheck %s --strict-whitespace --match-full-lines
// With output=PATH nothing goes to stderr.
// RUN: smopt %s -p 'tpu-conversion-report{output=%t.txt json=%t.json}' -o %t.mlir 2> %t.err
// RUN: not grep . %t.err
// RUN: filecheck %s --strict-whitespace --match-full-lines < %t.txt
// RUN: filecheck %s --check-prefix=JSON < %t.json
// json=- (like output=-) is stderr, never a file named '-'.
// RUN: smopt %s -p 'tpu-conversion-report{output=%t.txt json=-}' -o %t.mlir 2>&1 | filecheck %s --check-prefix=JSON
// The IR is unchanged.
// RUN: smopt %s -o %t.before.mlir && diff %t.before.mlir %t.mlir

//      CHECK:-------- Conversion Report --------
// CHECK-NEXT:TPU cost of the model: 96.67% (2034/2104)
// CHECK-NEXT:CPU cost of the model:  3.33% (70/2104)
// CHECK-EMPTY:
// CHECK-NEXT:Cost breakdown
// CHECK-NEXT:================================
// CHECK-NEXT:%         Cost    Name
// CHECK-NEXT:--------------------------------
// CHECK-NEXT:3.33      70      [CPU cost]
// CHECK-NEXT:48.34     1017    tpu_func_1
// CHECK-NEXT:48.34     1017    tpu_func_2
// CHECK-NEXT:--------------------------------

// JSON: "tpu_cost": 2034,
// JSON: "cpu_cost": 70,
// JSON: "total_cost": 2104,
// JSON: "tpu_percent": 96.67,
// JSON: "cpu_percent": 3.33,
// JSON: "name": "tpu_func_1",
// JSON-NEXT: "function": "__inference_tpu_func_1_25",
// JSON-NEXT: "cost": 1017,
// JSON-NEXT: "percent": 48.34
// JSON: "name": "tpu_func_2",

"tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, method_name = "tensorflow/serving/predict", input_names = ["x", "a", "b"], input_tensors = ["serving_default_x:0", "serving_default_a:0", "serving_default_b:0"], output_names = ["y1", "y2", "s", "n"], output_tensors = ["StatefulPartitionedCall:0", "StatefulPartitionedCall:1", "StatefulPartitionedCall:2", "StatefulPartitionedCall:3"]} : (tensor<339xf32>, tensor<16xf32>, tensor<2xf32>) -> (tensor<339xf32>, tensor<339xf32>, tensor<16xf32>, tensor<2xf32>)
"tf_saved_model.alias"() {sym_name = "tpu_func_1", function = @__inference_tpu_func_1_25} : () -> ()
"tf_saved_model.alias"() {sym_name = "tpu_func_2", function = @__inference_tpu_func_2_41} : () -> ()
func.func @__inference_tpu_func_1_25(%x: tensor<339xf32>) -> (tensor<339xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<339xf32>) -> tensor<339xf32> loc("Neg")
  %1 = "tf.Identity"(%0) {T = f32} : (tensor<339xf32>) -> tensor<339xf32> loc("Identity")
  return %1 : tensor<339xf32>
}
func.func @__inference_tpu_func_2_41(%x: tensor<339xf32>) -> (tensor<339xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<339xf32>) -> tensor<339xf32> loc("Neg")
  return %0 : tensor<339xf32>
}
func.func @serve(%x: tensor<339xf32>, %a: tensor<16xf32>, %b: tensor<2xf32>) -> (tensor<339xf32> {tf.name = "y1"}, tensor<339xf32> {tf.name = "y2"}, tensor<16xf32> {tf.name = "s"}, tensor<2xf32> {tf.name = "n"}) {
  %0 = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @__inference_tpu_func_1_25} : (tensor<339xf32>) -> tensor<339xf32> loc("call_1")
  %1 = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @__inference_tpu_func_2_41} : (tensor<339xf32>) -> tensor<339xf32> loc("call_2")
  %2 = "tf.AddV2"(%a, %a) {T = f32} : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32> loc("add")
  %3 = "tf.Neg"(%b) {T = f32} : (tensor<2xf32>) -> tensor<2xf32> loc("neg")
  return %0, %1, %2, %3 : tensor<339xf32>, tensor<339xf32>, tensor<16xf32>, tensor<2xf32>
}
