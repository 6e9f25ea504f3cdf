// jit_compile_functions selects every function with _XlaMustCompile = true (both traces).
// RUN: smopt %s -p 'tpu-select-functions{jit-compile-functions=true}' 2>&1 | filecheck %s --check-prefix=JIT
// RUN: not smopt %s -p 'tpu-select-functions{jit-compile-functions=true function-aliases=dense}' 2>&1 | filecheck %s --check-prefix=JITDUP
"tf_saved_model.alias"() {sym_name = "dense", function = @__inference_dense_12} : () -> ()
// JIT-LABEL: func.func @__inference_dense_12
// JIT-SAME: attributes {_XlaMustCompile = true, smopt.tpu_function = true, smopt.tpu_selected_by = "jit_compile_functions"}
func.func @__inference_dense_12(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) attributes {_XlaMustCompile = true} {
  return %x : tensor<?x4xf32>
}
// JIT-LABEL: func.func @__inference_dense_33
// JIT-SAME: attributes {_XlaMustCompile = true, smopt.tpu_function = true, smopt.tpu_selected_by = "jit_compile_functions"}
func.func @__inference_dense_33(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) attributes {_XlaMustCompile = true} {
  return %x : tensor<?x4xf32>
}
// JIT-LABEL: func.func @serve
// JIT-NOT: smopt.tpu_function
// JIT: return
func.func @serve(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "y"}) {
  %0 = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], _XlaMustCompile = true, f = @__inference_dense_12} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("StatefulPartitionedCall")
  return %0 : tensor<?x4xf32>
}
// JITDUP: error: pass 'tpu-select-functions' failed: function_alias "dense" and jit_compile_functions select the same function "__inference_dense_12"; provide each TPU function only once
