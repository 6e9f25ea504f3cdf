// function-alias batches the call sites of every function the alias names (each trace of the
// aliased tf.function); a trace nothing calls (the one the object graph exports) is skipped.
// RUN: smopt %s -p 'tpu-batch-function{function-alias=batch_func}' | filecheck %s
// RUN: not smopt %s -p 'tpu-batch-function{function-alias=unused}' 2>&1 | filecheck %s --check-prefix=UNUSED
"tf_saved_model.alias"() {sym_name = "batch_func", function = @trace_a} : () -> ()
"tf_saved_model.alias"() {sym_name = "batch_func", function = @trace_b} : () -> ()
"tf_saved_model.alias"() {sym_name = "batch_func", function = @trace_c} : () -> ()
"tf_saved_model.alias"() {sym_name = "unused", function = @lonely} : () -> ()
func.func @trace_a(%x: tensor<?x8xf32>) -> (tensor<?x8xf32> {tf.name = "r"}) {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("neg")
  return %0 : tensor<?x8xf32>
}
func.func @trace_b(%x: tensor<?x8xf32>) -> (tensor<?x8xf32> {tf.name = "r"}) {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("neg")
  return %0 : tensor<?x8xf32>
}
func.func @trace_c(%x: tensor<?x8xf32>) -> (tensor<?x8xf32> {tf.name = "r"}) attributes {tf_saved_model.exported = true} {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("neg")
  return %0 : tensor<?x8xf32>
}
func.func @lonely(%x: tensor<?x8xf32>) -> (tensor<?x8xf32> {tf.name = "r"}) attributes {tf_saved_model.exported = true} {
  return %x : tensor<?x8xf32>
}
func.func @serve_a(%x: tensor<?x8xf32>) -> (tensor<?x8xf32> {tf.name = "r"}) attributes {tf_saved_model.exported = true} {
  %0 = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @trace_a} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("call")
  return %0 : tensor<?x8xf32>
}
func.func @serve_b(%x: tensor<?x8xf32>) -> (tensor<?x8xf32> {tf.name = "r"}) attributes {tf_saved_model.exported = true} {
  %0 = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @trace_b} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("call")
  return %0 : tensor<?x8xf32>
}
// CHECK-LABEL: func.func @serve_a(
// CHECK-NEXT: %0 = "tf.BatchFunction"(%x) {{.*}} f = @trace_a,
// CHECK-LABEL: func.func @serve_b(
// CHECK-NEXT: %0 = "tf.BatchFunction"(%x) {{.*}} f = @trace_b,
// UNUSED: cannot batch @lonely (function alias 'unused'): nothing calls it
