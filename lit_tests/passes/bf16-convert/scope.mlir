// RUN: smopt %s -p bf16-convert | filecheck %s --check-prefix=TPU
// RUN: smopt %s -p 'bf16-convert{scope=all keep-f32-outputs=false}' | filecheck %s --check-prefix=ALL

// scope=tpu (the default) converts the TPU function and what it calls, nothing else.
// scope=all converts every function but the SavedModel's save/restore functions; the
// main graph is never converted. Exported and TPU functions keep float32 signatures and
// cast at the boundary; serving signatures stay float32. (The ALL run turns the output rule
// off: with it, @serve's MatMul and Abs would compute its output in float32, outputs.mlir.)

"tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, method_name = "tensorflow/serving/predict", input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<?x4xf32>) -> (tensor<?x4xf32>)
tf.graph {
  %x = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<?x4>} : () -> tensor<?x4xf32> loc("serving_default_x")
  %y = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @serve} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("StatefulPartitionedCall")
  %c = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<f32>} : () -> tensor<f32> loc("graph_const")
}
func.func @helper(%a: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<0.5> : tensor<4x4xf32>} : () -> tensor<4x4xf32> loc("w")
  %0 = "tf.MatMul"(%a, %w) {T = f32} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("mm")
  %1 = "tf.Tanh"(%0) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("tanh")
  return %1 : tensor<?x4xf32>
}
func.func @tpu(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true, tf_saved_model.exported = true} {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @helper} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call")
  %1 = "tf.Relu"(%0) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("relu")
  return %1 : tensor<?x4xf32>
}
func.func @serve(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {tf_saved_model.exported = true} {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("neg")
  %1 = "tf.StatefulPartitionedCall"(%0) {Tin = [f32], Tout = [f32], f = @tpu} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call_tpu")
  %v = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<4x4xf32>} : () -> tensor<4x4xf32> loc("v")
  %2 = "tf.MatMul"(%1, %v) {T = f32} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("cpu_mm")
  %3 = "tf.Abs"(%2) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("abs")
  return %3 : tensor<?x4xf32>
}
func.func @__inference__traced_save_9(%x: tensor<4x4xf32>) -> (tensor<4x4xf32> {tf.name = "r"}) {
  %0 = "tf.MatMul"(%x, %x) {T = f32} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("mm")
  return %0 : tensor<4x4xf32>
}

// The graph is never converted.
// TPU-LABEL: "tf.graph"() ({
// TPU: "tf.StatefulPartitionedCall"({{.*}}) {Tin = [f32], Tout = [f32], f = @serve}
// TPU: "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<f32>} : () -> tensor<f32> loc("graph_const")
// ALL-LABEL: "tf.graph"() ({
// ALL: "tf.StatefulPartitionedCall"({{.*}}) {Tin = [f32], Tout = [f32], f = @serve}
// ALL: "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<f32>} : () -> tensor<f32> loc("graph_const")

// @helper is only called from the TPU function: in scope, and its signature converts (its
// argument feeds a MatMul, its result is bfloat16).
// TPU-LABEL: func.func @helper(%a: tensor<?x4xbf16> loc("a")) -> (tensor<?x4xbf16> {tf.name = "r"}) {
// TPU-NEXT:    %0 = "tf.Const"() {dtype = bf16, {{.*}} loc("w")
// TPU-NEXT:    %1 = "tf.MatMul"(%a, %0) {T = bf16} : (tensor<?x4xbf16>, tensor<4x4xbf16>) -> tensor<?x4xbf16> loc("mm")
// TPU-NEXT:    %2 = "tf.Tanh"(%1) {T = bf16} : (tensor<?x4xbf16>) -> tensor<?x4xbf16> loc("tanh")
// TPU-NEXT:    return %2 : tensor<?x4xbf16>
// ALL-LABEL: func.func @helper(%a: tensor<?x4xbf16> loc("a")) -> (tensor<?x4xbf16> {tf.name = "r"}) {

// The TPU function keeps its float32 signature: one cast in, one cast out.
// TPU-LABEL: func.func @tpu(%x: tensor<?x4xf32> loc("x")) -> (tensor<?x4xf32> {tf.name = "r"})
// TPU-NEXT:    %0 = "tf.Cast"(%x) {DstT = bf16, SrcT = f32} : (tensor<?x4xf32>) -> tensor<?x4xbf16> loc("x/CastToBF16")
// TPU-NEXT:    %1 = "tf.PartitionedCall"(%0) {Tin = [bf16], Tout = [bf16], f = @helper} : (tensor<?x4xbf16>) -> tensor<?x4xbf16> loc("call")
// TPU-NEXT:    %2 = "tf.Relu"(%1) {T = bf16} : (tensor<?x4xbf16>) -> tensor<?x4xbf16> loc("relu")
// TPU-NEXT:    %3 = "tf.Cast"(%2) {DstT = f32, SrcT = bf16} : (tensor<?x4xbf16>) -> tensor<?x4xf32> loc("relu/CastToF32")
// TPU-NEXT:    return %3 : tensor<?x4xf32>

// CPU code: untouched with scope=tpu, converted with scope=all (its signature stays f32):
// the MatMul and the Abs after it; the Neg of the float32 argument stays float32.
// TPU-LABEL: func.func @serve(%x: tensor<?x4xf32> loc("x")) -> (tensor<?x4xf32> {tf.name = "r"})
// TPU-NEXT:    %0 = "tf.Neg"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("neg")
// TPU-NEXT:    %1 = "tf.StatefulPartitionedCall"(%0) {Tin = [f32], Tout = [f32], f = @tpu} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call_tpu")
// TPU-NEXT:    %2 = "tf.Const"() {dtype = f32, {{.*}} loc("v")
// TPU-NEXT:    %3 = "tf.MatMul"(%1, %2) {T = f32} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("cpu_mm")
// TPU-NEXT:    %4 = "tf.Abs"(%3) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("abs")
// TPU-NEXT:    return %4 : tensor<?x4xf32>
// ALL-LABEL: func.func @serve(%x: tensor<?x4xf32> loc("x")) -> (tensor<?x4xf32> {tf.name = "r"})
// ALL-NEXT:    %0 = "tf.Neg"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("neg")
// ALL-NEXT:    %1 = "tf.StatefulPartitionedCall"(%0) {Tin = [f32], Tout = [f32], f = @tpu} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("call_tpu")
// ALL-NEXT:    %2 = "tf.Cast"(%1) {DstT = bf16, SrcT = f32} : (tensor<?x4xf32>) -> tensor<?x4xbf16> loc("call_tpu/CastToBF16")
// ALL-NEXT:    %3 = "tf.Const"() {dtype = bf16, {{.*}} loc("v")
// ALL-NEXT:    %4 = "tf.MatMul"(%2, %3) {T = bf16} : (tensor<?x4xbf16>, tensor<4x4xbf16>) -> tensor<?x4xbf16> loc("cpu_mm")
// ALL-NEXT:    %5 = "tf.Abs"(%4) {T = bf16} : (tensor<?x4xbf16>) -> tensor<?x4xbf16> loc("abs")
// ALL-NEXT:    %6 = "tf.Cast"(%5) {DstT = f32, SrcT = bf16} : (tensor<?x4xbf16>) -> tensor<?x4xf32> loc("abs/CastToF32")
// ALL-NEXT:    return %6 : tensor<?x4xf32>

// Save/restore functions are never converted.
// TPU-LABEL: func.func @__inference__traced_save_9(
// TPU-NEXT:    "tf.MatMul"(%x, %x) {T = f32}
// ALL-LABEL: func.func @__inference__traced_save_9(
// ALL-NEXT:    "tf.MatMul"(%x, %x) {T = f32}
