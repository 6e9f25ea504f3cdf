// tpu-select-functions marks functions with smopt.tpu_function (and says why).
// RUN: smopt %s -p 'tpu-select-functions{function-aliases=tpu_func concrete-function-names=other signature-names=serving_default}' | filecheck %s
// RUN: smopt %s -p 'tpu-select-functions' | filecheck %s --check-prefix=NONE
// RUN: not smopt %s -p 'tpu-select-functions{function-aliases=tpu_fn}' 2>&1 | filecheck %s --check-prefix=NOALIAS
// RUN: not smopt %s -p 'tpu-select-functions{concrete-function-names=__inference_tpu_func_1}' 2>&1 | filecheck %s --check-prefix=NOFUNC
// RUN: not smopt %s -p 'tpu-select-functions{signature-names=serve}' 2>&1 | filecheck %s --check-prefix=NOSIG
// RUN: not smopt %s -p 'tpu-select-functions{function-aliases=tpu_func concrete-function-names=__inference_tpu_func_16}' 2>&1 | filecheck %s --check-prefix=DUP
// RUN: not smopt %s -p 'tpu-select-functions{function-aliases=tpu_func,tpu_func}' 2>&1 | filecheck %s --check-prefix=DUP2
// RUN: not smopt %s -p 'tpu-select-functions{signature-names=serving_default function-aliases=entry}' 2>&1 | filecheck %s --check-prefix=DUP3

"tf_saved_model.signature"() {sym_name = "serving_default", function = @__inference_signature_wrapper_serve_40, method_name = "tensorflow/serving/predict", input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<?x4xf32>) -> (tensor<?x4xf32>)
"tf_saved_model.alias"() {sym_name = "tpu_func", function = @__inference_tpu_func_16} : () -> ()
"tf_saved_model.alias"() {sym_name = "entry", function = @__inference_signature_wrapper_serve_40} : () -> ()
// CHECK-LABEL: func.func @__inference_tpu_func_16
// CHECK-SAME: attributes {smopt.tpu_function = true, smopt.tpu_selected_by = "function_alias 'tpu_func'"}
// NONE-LABEL: func.func @__inference_tpu_func_16
// NONE-NOT: smopt.tpu_function
func.func @__inference_tpu_func_16(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("Relu")
  return %0 : tensor<?x4xf32>
}
// CHECK-LABEL: func.func @other
// CHECK-SAME: attributes {smopt.tpu_function = true, smopt.tpu_selected_by = "concrete_function_name 'other'"}
func.func @other(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) {
  return %x : tensor<?x4xf32>
}
// CHECK-LABEL: func.func @__inference_signature_wrapper_serve_40
// CHECK-SAME: attributes {smopt.tpu_function = true, smopt.tpu_selected_by = "signature_name 'serving_default'"}
// NONE-LABEL: func.func @__inference_signature_wrapper_serve_40
// NONE-NOT: smopt.tpu_function
func.func @__inference_signature_wrapper_serve_40(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) {
  %0 = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @__inference_tpu_func_16} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("StatefulPartitionedCall")
  %1 = "tf.PartitionedCall"(%0) {Tin = [f32], Tout = [f32], f = @other} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("PartitionedCall")
  return %1 : tensor<?x4xf32>
}
// NOALIAS: error: pass 'tpu-select-functions' failed: function_alias "tpu_fn" does not exist in the model (the model's function aliases: "entry", "tpu_func")
// NOFUNC: error: pass 'tpu-select-functions' failed: concrete_function_name "__inference_tpu_func_1" does not exist in the model; close matches: "__inference_tpu_func_16"
// NOSIG: error: pass 'tpu-select-functions' failed: signature_name "serve" does not exist in the model (the model's signatures: "serving_default")
// DUP: error: pass 'tpu-select-functions' failed: function_alias "tpu_func" and concrete_function_name "__inference_tpu_func_16" select the same function "__inference_tpu_func_16"; provide each TPU function only once
// DUP2: error: pass 'tpu-select-functions' failed: function_alias "tpu_func" and function_alias "tpu_func" select the same function "__inference_tpu_func_16"; provide each TPU function only once
// DUP3: error: pass 'tpu-select-functions' failed: function_alias "entry" and signature_name "serving_default" select the same function "__inference_signature_wrapper_serve_40"; provide each TPU function only once
