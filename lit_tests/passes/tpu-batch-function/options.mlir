// BatchOptions validation: one clear line per problem, before the model is touched.
// RUN: not smopt %s -p 'tpu-batch-function{num-batch-threads=0}' 2>&1 | filecheck %s --check-prefix=THREADS
// THREADS: smopt: error: pass 'tpu-batch-function' failed: batch options: num_batch_threads must be greater than 0 (got 0)
// RUN: not smopt %s -p 'tpu-batch-function{max-batch-size=0}' 2>&1 | filecheck %s --check-prefix=MAX
// MAX: smopt: error: pass 'tpu-batch-function' failed: batch options: max_batch_size must be greater than 0 (got 0)
// RUN: not smopt %s -p 'tpu-batch-function{batch-timeout-micros=-1}' 2>&1 | filecheck %s --check-prefix=TIMEOUT
// TIMEOUT: smopt: error: pass 'tpu-batch-function' failed: batch options: batch_timeout_micros must not be negative (got -1)
// RUN: not smopt %s -p 'tpu-batch-function{max-enqueued-batches=0}' 2>&1 | filecheck %s --check-prefix=QUEUE
// QUEUE: smopt: error: pass 'tpu-batch-function' failed: batch options: max_enqueued_batches must be greater than 0 (got 0)
// RUN: not smopt %s -p 'tpu-batch-function{allowed-batch-sizes=0,8}' 2>&1 | filecheck %s --check-prefix=POSITIVE
// POSITIVE: smopt: error: pass 'tpu-batch-function' failed: batch options: allowed_batch_sizes must be positive (got 0,8)
// RUN: not smopt %s -p 'tpu-batch-function{allowed-batch-sizes=2,8,4}' 2>&1 | filecheck %s --check-prefix=MONO
// MONO: smopt: error: pass 'tpu-batch-function' failed: batch options: allowed_batch_sizes must increase monotonically (got 2,8,4)
// RUN: not smopt %s -p 'tpu-batch-function{allowed-batch-sizes=4,4,8}' 2>&1 | filecheck %s --check-prefix=EQUAL
// EQUAL: smopt: error: pass 'tpu-batch-function' failed: batch options: allowed_batch_sizes must increase monotonically (got 4,4,8)
// RUN: not smopt %s -p 'tpu-batch-function{allowed-batch-sizes=2,4,16}' 2>&1 | filecheck %s --check-prefix=LAST
// LAST: smopt: error: pass 'tpu-batch-function' failed: batch options: the last entry of allowed_batch_sizes (16) must not be greater than max_batch_size (8)
// RUN: not smopt %s -p 'tpu-batch-function{allowed-batch-sizes=2,4 disable-large-batch-splitting=true}' 2>&1 | filecheck %s --check-prefix=SPLIT
// SPLIT: smopt: error: pass 'tpu-batch-function' failed: batch options: the last entry of allowed_batch_sizes (4) must equal max_batch_size (8) when large batch splitting is disabled
// RUN: not smopt %s -p 'tpu-batch-function{function-alias=f signature-name=s}' 2>&1 | filecheck %s --check-prefix=TWO
// TWO: smopt: error: pass 'tpu-batch-function' failed: batch options: set at most one of function-alias, concrete-function-name and signature-name (got function-alias and signature-name)
// RUN: not smopt %s -p 'tpu-batch-function{function-alias=nope}' 2>&1 | filecheck %s --check-prefix=ALIAS
// ALIAS: smopt: error: pass 'tpu-batch-function' failed: batch options: function alias 'nope' not found (function aliases: tpu_func)
// RUN: not smopt %s -p 'tpu-batch-function{concrete-function-name=__inference_nope_1}' 2>&1 | filecheck %s --check-prefix=CONCRETE
// CONCRETE: smopt: error: pass 'tpu-batch-function' failed: batch options: concrete function '__inference_nope_1' not found in the model
// RUN: not smopt %s -p 'tpu-batch-function{signature-name=nope}' 2>&1 | filecheck %s --check-prefix=SIG
// SIG: smopt: error: pass 'tpu-batch-function' failed: batch options: signature 'nope' not found (signatures: serving_default)

// Valid: splitting allows a last size below max_batch_size; disabled splitting needs equality.
// RUN: smopt %s -p 'tpu-batch-function{allowed-batch-sizes=2,4}' | filecheck %s --check-prefix=OK
// OK: allowed_batch_sizes = [2, 4], {{.*}} enable_large_batch_splitting = true, {{.*}} max_batch_size = 8,
// RUN: smopt %s -p 'tpu-batch-function{allowed-batch-sizes=2,8 disable-large-batch-splitting}' | filecheck %s --check-prefix=OK2
// OK2: allowed_batch_sizes = [2, 8], {{.*}} enable_large_batch_splitting = false, {{.*}} max_batch_size = 8,

"tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<?x4xf32>) -> (tensor<?x4xf32>)
"tf_saved_model.alias"() {sym_name = "tpu_func", function = @tpu} : () -> ()
func.func @tpu(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  return %x : tensor<?x4xf32>
}
func.func @serve(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @tpu} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call")
  return %0 : tensor<?x4xf32>
}
