// A function alias names every trace of the aliased tf.function (a SavedModel's
// function_aliases map each concrete function to its alias): a serving signature made with
// `serve.get_concrete_function()` calls one trace, the object graph exports another.
// function_alias selects them all, so the signature's path runs on the TPU too.
// RUN: smopt %s -p 'tpu-select-functions{function-aliases=tpu_func}' | filecheck %s
// RUN: smopt %s --summary --no-output 2>&1 | filecheck %s --check-prefix=SUMMARY
// RUN: not smopt %s -p 'tpu-select-functions{function-aliases=tpu_func concrete-function-names=__inference_tpu_func_51}' 2>&1 | filecheck %s --check-prefix=DUP
"tf_saved_model.signature"() {sym_name = "serving_default", function = @__inference_signature_wrapper_38, method_name = "tensorflow/serving/predict", input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<?x4xf32>) -> (tensor<?x4xf32>)
"tf_saved_model.alias"() {sym_name = "tpu_func", function = @__inference_tpu_func_51} : () -> ()
"tf_saved_model.alias"() {sym_name = "tpu_func", function = @__inference_tpu_func_19} : () -> ()
// CHECK: "tf_saved_model.alias"() {function = @__inference_tpu_func_19, name = "tpu_func"} : () -> ()
// CHECK-NEXT: "tf_saved_model.alias"() {function = @__inference_tpu_func_51, name = "tpu_func"} : () -> ()
// SUMMARY: 1 signatures, 1 aliases,
// SUMMARY: alias tpu_func -> @__inference_tpu_func_19, @__inference_tpu_func_51
// CHECK-LABEL: func.func @__inference_tpu_func_19
// CHECK-SAME: attributes {smopt.tpu_function = true, smopt.tpu_selected_by = "function_alias 'tpu_func'"}
func.func @__inference_tpu_func_19(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("Relu")
  return %0 : tensor<?x4xf32>
}
// CHECK-LABEL: func.func @__inference_tpu_func_51
// CHECK-SAME: attributes {smopt.tpu_function = true, smopt.tpu_selected_by = "function_alias 'tpu_func'", tf_saved_model.exported = true}
func.func @__inference_tpu_func_51(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) attributes {tf_saved_model.exported = true} {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("Relu")
  return %0 : tensor<?x4xf32>
}
// CHECK-LABEL: func.func @__inference_signature_wrapper_38
// CHECK-NOT: smopt.tpu_function
func.func @__inference_signature_wrapper_38(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) {
  %0 = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @__inference_tpu_func_19} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("StatefulPartitionedCall")
  return %0 : tensor<?x4xf32>
}
// DUP: error: pass 'tpu-select-functions' failed: function_alias "tpu_func" and concrete_function_name "__inference_tpu_func_51" select the same function "__inference_tpu_func_51"; provide each TPU function only once
