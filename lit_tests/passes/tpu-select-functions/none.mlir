// A model without aliases, and jit_compile_functions on a model without jit functions.
// RUN: not smopt %s -p 'tpu-select-functions{function-aliases=tpu_func}' 2>&1 | filecheck %s --check-prefix=NOALIASES
// RUN: not smopt %s -p 'tpu-select-functions{jit-compile-functions=true}' 2>&1 | filecheck %s --check-prefix=NOJIT
func.func @f(%x: tensor<f32>) -> (tensor<f32> {tf.name = "y"}) {
  return %x : tensor<f32>
}
// NOALIASES: error: pass 'tpu-select-functions' failed: function_alias "tpu_func" does not exist in the model (the model has no function aliases)
// NOJIT: error: pass 'tpu-select-functions' failed: jit_compile_functions is set but the model has no function compiled with jit_compile=True (_XlaMustCompile)
