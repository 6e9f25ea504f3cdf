// The shape requirements of BatchFunction that can be checked statically (seed:
// "Anforderungen an die Form", with the TF runtime's messages), and placement errors:
// BatchFunction runs on the CPU, so it is never placed inside TPU code.
// RUN: not smopt %s --split-input-file -p tpu-batch-function 2>&1 | filecheck %s
// RUN: not smopt %s --split-input-file -p 'tpu-batch-function{function-alias=f}' 2>&1 | filecheck %s --check-prefix=FUNC
// RUN: not smopt %s --split-input-file -p 'tpu-batch-function{signature-name=serving_default}' 2>&1 | filecheck %s --check-prefix=SIG

// A scalar batched input (the model's `k`).
"tf_saved_model.alias"() {sym_name = "f", function = @tpu} : () -> ()
"tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, input_names = ["x", "k"], input_tensors = ["serving_default_x:0", "serving_default_k:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<?x4xf32>, tensor<f32>) -> (tensor<?x4xf32>)
func.func @tpu(%x: tensor<?x4xf32>, %k: tensor<f32>) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Mul"(%x, %k) {T = f32} : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32> loc("mul")
  return %0 : tensor<?x4xf32>
}
func.func @serve(%x: tensor<?x4xf32>, %k: tensor<f32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%x, %k) {Tin = [f32, f32], Tout = [f32], f = @tpu} : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32> loc("call")
  return %0 : tensor<?x4xf32>
}
// CHECK: smopt: error: pass 'tpu-batch-function' failed: cannot batch @tpu (function alias 'f'): input 'k' is a scalar. Batching input tensors must have at least one dimension; make it a vector whose 0th dimension is the batch
// FUNC: smopt: error: pass 'tpu-batch-function' failed: cannot batch @tpu (function alias 'f'): input 'k' is a scalar. Batching input tensors must have at least one dimension
// SIG: smopt: error: pass 'tpu-batch-function' failed: cannot batch signature 'serving_default': input 'k' is a scalar. Batching input tensors must have at least one dimension

// -----
// A fixed batch dimension in the input signature.
"tf_saved_model.alias"() {sym_name = "f", function = @tpu} : () -> ()
"tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<1x4xf32>) -> (tensor<1x4xf32>)
func.func @tpu(%x: tensor<1x4xf32>) -> (tensor<1x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  return %x : tensor<1x4xf32>
}
func.func @serve(%x: tensor<1x4xf32>) -> (tensor<1x4xf32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @tpu} : (tensor<1x4xf32>) -> tensor<1x4xf32> loc("call")
  return %0 : tensor<1x4xf32>
}
// CHECK: smopt: error: pass 'tpu-batch-function' failed: cannot batch @tpu (function alias 'f'): input 'x' has shape [1, 4], but its 0th dimension is the batch dimension and must be None in the input signature
// FUNC: input 'x' has shape [1, 4], but its 0th dimension is the batch dimension and must be None in the input signature
// SIG: smopt: error: pass 'tpu-batch-function' failed: cannot batch signature 'serving_default': input 'x' has shape [1, 4], but its 0th dimension is the batch dimension and must be -1 in the signature

// -----
// Inputs of one call whose known 0th dimensions differ.
"tf_saved_model.alias"() {sym_name = "f", function = @tpu} : () -> ()
func.func @tpu(%a: tensor<?x4xf32>, %b: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  return %a : tensor<?x4xf32>
}
func.func @serve(%a: tensor<3x4xf32>, %b: tensor<5x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%a, %b) {Tin = [f32, f32], Tout = [f32], f = @tpu} : (tensor<3x4xf32>, tensor<5x4xf32>) -> tensor<?x4xf32> loc("call")
  return %0 : tensor<?x4xf32>
}
// CHECK: smopt: error: pass 'tpu-batch-function' failed: cannot batch @tpu (function alias 'f') at 'call' in @serve: inputs 'a' (0th dimension 3) and 'b' (0th dimension 5) differ. Batching input tensors supplied in a given op invocation must have equal 0th-dimension size
// FUNC: inputs 'a' (0th dimension 3) and 'b' (0th dimension 5) differ. Batching input tensors supplied in a given op invocation must have equal 0th-dimension size

// -----
// An output with a fixed 0th dimension (here a reduction over the batch).
"tf_saved_model.alias"() {sym_name = "f", function = @tpu} : () -> ()
func.func @tpu(%x: tensor<?x4xf32>) -> (tensor<4xf32> {tf.name = "total"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<i32> loc("axis")
  %1 = "tf.Sum"(%x, %0) {T = f32, Tidx = i32} : (tensor<?x4xf32>, tensor<i32>) -> tensor<4xf32> loc("sum")
  return %1 : tensor<4xf32>
}
func.func @serve(%x: tensor<?x4xf32>) -> (tensor<4xf32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @tpu} : (tensor<?x4xf32>) -> tensor<4xf32> loc("call")
  return %0 : tensor<4xf32>
}
// CHECK: smopt: error: pass 'tpu-batch-function' failed: cannot batch @tpu (function alias 'f'): output 'total' has shape [4]. Batched output tensor's 0th dimension does not equal the sum of the 0th dimension sizes of the input tensors (every output's 0th dimension must be the batch dimension, None)
// FUNC: output 'total' has shape [4]. Batched output tensor's 0th dimension does not equal the sum of the 0th dimension sizes of the input tensors

// -----
// A scalar output.
"tf_saved_model.alias"() {sym_name = "f", function = @tpu} : () -> ()
"tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<?x4xf32>) -> (tensor<f32>)
func.func @tpu(%x: tensor<?x4xf32>) -> (tensor<f32> {tf.name = "total"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Const"() {dtype = i32, value = dense<[0, 1]> : tensor<2xi32>} : () -> tensor<2xi32> loc("axes")
  %1 = "tf.Sum"(%x, %0) {T = f32, Tidx = i32} : (tensor<?x4xf32>, tensor<2xi32>) -> tensor<f32> loc("sum")
  return %1 : tensor<f32>
}
func.func @serve(%x: tensor<?x4xf32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @tpu} : (tensor<?x4xf32>) -> tensor<f32> loc("call")
  return %0 : tensor<f32>
}
// CHECK: smopt: error: pass 'tpu-batch-function' failed: cannot batch @tpu (function alias 'f'): output 'total' has shape []. Batched output tensor's 0th dimension does not equal the sum of the 0th dimension sizes of the input tensors
// FUNC: output 'total' has shape []
// SIG: smopt: error: pass 'tpu-batch-function' failed: cannot batch signature 'serving_default': output 'r' has shape []. Batched output tensor's 0th dimension does not equal the sum of the 0th dimension sizes of the input tensors

// -----
// A variant input (e.g. a TensorList) cannot be concatenated.
"tf_saved_model.alias"() {sym_name = "f", function = @tpu} : () -> ()
func.func @tpu(%l: tensor<!tf_type.variant>, %x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  return %x : tensor<?x4xf32>
}
func.func @serve(%l: tensor<!tf_type.variant>, %x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%l, %x) {Tin = [!tf_type.variant, f32], Tout = [f32], f = @tpu} : (tensor<!tf_type.variant>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("call")
  return %0 : tensor<?x4xf32>
}
// CHECK: smopt: error: pass 'tpu-batch-function' failed: cannot batch @tpu (function alias 'f'): input 'l' is a variant tensor, which BatchFunction cannot concatenate along the batch dimension
// FUNC: input 'l' is a variant tensor

// -----
// Nothing to batch: every input is a resource or a constant.
"tf_saved_model.alias"() {sym_name = "f", function = @tpu} : () -> ()
func.func @tpu(%v: tensor<!tf_type.resource>, %c: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  return %c : tensor<?x4xf32>
}
func.func @serve(%v: tensor<!tf_type.resource>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %c = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<2x4xf32>} : () -> tensor<2x4xf32> loc("c")
  %0 = "tf.PartitionedCall"(%v, %c) {Tin = [!tf_type.resource, f32], Tout = [f32], f = @tpu} : (tensor<!tf_type.resource>, tensor<2x4xf32>) -> tensor<?x4xf32> loc("call")
  return %0 : tensor<?x4xf32>
}
// CHECK: smopt: error: pass 'tpu-batch-function' failed: cannot batch @tpu (function alias 'f'): it has no input to batch along the 0th dimension (all its inputs are resources or constants)
// FUNC: it has no input to batch along the 0th dimension

// -----
// Function batching of a function called from TPU code, and of a function nothing calls.
"tf_saved_model.alias"() {sym_name = "f", function = @inner} : () -> ()
func.func @inner(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  return %x : tensor<?x4xf32>
}
func.func @tpu(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @inner} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call")
  return %0 : tensor<?x4xf32>
}
// FUNC: smopt: error: pass 'tpu-batch-function' failed: cannot batch @inner (function alias 'f'): it is called from @tpu, which runs on the TPU; BatchFunction cannot run on the TPU, so a batched function must be called from CPU code

// -----
"tf_saved_model.alias"() {sym_name = "f", function = @lonely} : () -> ()
func.func @lonely(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  return %x : tensor<?x4xf32>
}
// FUNC: smopt: error: pass 'tpu-batch-function' failed: cannot batch @lonely (function alias 'f'): nothing calls it (BatchFunction is placed at the call sites of the batched function)

// -----
// Function batching inside a computation another BatchFunction already batches.
"tf_saved_model.alias"() {sym_name = "f", function = @inner} : () -> ()
func.func @inner(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  return %x : tensor<?x4xf32>
}
func.func @outer(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @inner} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call")
  %1 = "tf.Neg"(%0) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("neg")
  return %1 : tensor<?x4xf32>
}
func.func @serve(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %0 = "tf.BatchFunction"(%x) {Tcaptured = [], Tin = [f32], Tout = [f32], f = @outer, max_batch_size = 2, num_batch_threads = 1, batch_timeout_micros = 1} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("batch")
  return %0 : tensor<?x4xf32>
}
// FUNC: smopt: error: pass 'tpu-batch-function' failed: cannot batch @inner (function alias 'f'): its call in @outer already runs inside an existing BatchFunction; batch either the enclosing computation or the function

// -----
// Signature batching of an entry function that TPU code calls.
"tf_saved_model.signature"() {sym_name = "serving_default", function = @entry, input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<?x4xf32>) -> (tensor<?x4xf32>)
func.func @entry(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  return %x : tensor<?x4xf32>
}
func.func @tpu(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @entry} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call")
  return %0 : tensor<?x4xf32>
}
// SIG: smopt: error: pass 'tpu-batch-function' failed: cannot batch signature 'serving_default': its function @entry is called from @tpu, which runs on the TPU; BatchFunction cannot run on the TPU

// -----
// A captured constant beside a fed input does not relax the requirements of the fed one:
// the bound [4, 4] constant is captured, the fixed [2, 4] input is still refused.
"tf_saved_model.alias"() {sym_name = "f", function = @tpu} : () -> ()
"tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<2x4xf32>) -> (tensor<?x4xf32>)
func.func @tpu(%c: tensor<4x4xf32> {tf_saved_model.bound_input = 5}, %x: tensor<2x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true, tf_saved_model.exported = true} {
  %0 = "tf.MatMul"(%x, %c) {T = f32} : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("mm")
  return %0 : tensor<?x4xf32>
}
func.func @serve(%x: tensor<2x4xf32> {_user_specified_name = "x"}, %c: tensor<4x4xf32> {tf_saved_model.bound_input = 5}) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {tf_saved_model.exported = true} {
  %0 = "tf.PartitionedCall"(%c, %x) {Tin = [f32, f32], Tout = [f32], f = @tpu} : (tensor<4x4xf32>, tensor<2x4xf32>) -> tensor<?x4xf32> loc("call")
  return %0 : tensor<?x4xf32>
}
// CHECK: smopt: error: pass 'tpu-batch-function' failed: cannot batch @tpu (function alias 'f'): input 'x' has shape [2, 4], but its 0th dimension is the batch dimension and must be None in the input signature
// FUNC: cannot batch @tpu (function alias 'f'): input 'x' has shape [2, 4], but its 0th dimension is the batch dimension and must be None in the input signature
// SIG: smopt: error: pass 'tpu-batch-function' failed: cannot batch signature 'serving_default': input 'x' has shape [2, 4], but its 0th dimension is the batch dimension and must be -1 in the signature

// -----
// A random value is new for every request although only Consts feed it: batched, and its
// fixed shape is refused.
"tf_saved_model.alias"() {sym_name = "f", function = @tpu} : () -> ()
func.func @tpu(%x: tensor<?x4xf32>, %n: tensor<2x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  return %x : tensor<?x4xf32>
}
func.func @serve(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %0 = "tf.Const"() {dtype = i32, value = dense<[2, 4]> : tensor<2xi32>} : () -> tensor<2xi32> loc("shape")
  %1 = "tf.RandomUniform"(%0) {T = i32, dtype = f32, seed = 0 : i64, seed2 = 0 : i64} : (tensor<2xi32>) -> tensor<2x4xf32> loc("noise")
  %2 = "tf.PartitionedCall"(%x, %1) {Tin = [f32, f32], Tout = [f32], f = @tpu} : (tensor<?x4xf32>, tensor<2x4xf32>) -> tensor<?x4xf32> loc("call")
  return %2 : tensor<?x4xf32>
}
// CHECK: smopt: error: pass 'tpu-batch-function' failed: cannot batch @tpu (function alias 'f'): input 'n' has shape [2, 4], but its 0th dimension is the batch dimension and must be None in the input signature
// FUNC: cannot batch @tpu (function alias 'f'): input 'n' has shape [2, 4]
