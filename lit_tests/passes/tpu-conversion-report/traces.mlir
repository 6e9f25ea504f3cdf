// The traces one function_alias names (tf.saved_model.save records every trace of the
// aliased tf.function; the serving signature often calls its own) are one row, their
// costs summed: here the signature's trace costs 1017 (Neg on 339 f32), the unused one 0.
// RUN: smopt %s -p 'tpu-conversion-report{json=%t.json}' -o /dev/null 2>&1 | filecheck %s --strict-whitespace --match-full-lines
// RUN: filecheck %s --check-prefix=JSON < %t.json

//      CHECK:%         Cost    Name
// CHECK-NEXT:--------------------------------
// CHECK-NEXT:5.92      64      [CPU cost]
// CHECK-NEXT:94.08     1017    tpu_func
// CHECK-NEXT:--------------------------------

// JSON: "name": "tpu_func",
// JSON-NEXT: "function": "__inference_tpu_func_25",
// JSON-NEXT: "cost": 1017,
// JSON-NEXT: "percent": 94.08,
// JSON-NEXT: "traces": [
// JSON-NEXT: "__inference_tpu_func_25",
// JSON-NEXT: "__inference_tpu_func_41"

"tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, method_name = "tensorflow/serving/predict", input_names = ["x", "a"], input_tensors = ["serving_default_x:0", "serving_default_a:0"], output_names = ["y", "s"], output_tensors = ["StatefulPartitionedCall:0", "StatefulPartitionedCall:1"]} : (tensor<339xf32>, tensor<16xf32>) -> (tensor<339xf32>, tensor<16xf32>)
"tf_saved_model.alias"() {name = "tpu_func", function = @__inference_tpu_func_25} : () -> ()
"tf_saved_model.alias"() {name = "tpu_func", function = @__inference_tpu_func_41} : () -> ()
func.func @__inference_tpu_func_25(%x: tensor<339xf32>) -> (tensor<339xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<339xf32>) -> tensor<339xf32> loc("Neg")
  return %0 : tensor<339xf32>
}
func.func @__inference_tpu_func_41(%x: tensor<339xf32>) -> (tensor<339xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true, tf_saved_model.exported = true} {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<339xf32>) -> tensor<339xf32> loc("Neg")
  return %0 : tensor<339xf32>
}
func.func @serve(%x: tensor<339xf32>, %a: tensor<16xf32>) -> (tensor<339xf32> {tf.name = "y"}, tensor<16xf32> {tf.name = "s"}) {
  %0 = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @__inference_tpu_func_25} : (tensor<339xf32>) -> tensor<339xf32> loc("call")
  %1 = "tf.AddV2"(%a, %a) {T = f32} : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32> loc("add")
  return %0, %1 : tensor<339xf32>, tensor<16xf32>
}
