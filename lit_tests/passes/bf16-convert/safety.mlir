// RUN: not smopt %s -p bf16-convert 2>&1 | filecheck %s --check-prefix=ERR
// RUN: not smopt %s -p 'bf16-convert{scope=all}' 2>&1 | filecheck %s --check-prefix=ERRALL
// RUN: smopt %s -p 'bf16-convert{skip-safety-checks=true}' | filecheck %s

// A model that already computes in bfloat16 in scope is refused, naming the first such op;
// with scope=all, CPU code counts too.
// ERR: error: pass 'bf16-convert' failed: the model already contains bfloat16 ops: node 'to_bf16' (Cast) in @tpu; pre-existing bfloat16 ops can cause issues with the optimization (skip-safety-checks=true skips this check)
// ERRALL: error: pass 'bf16-convert' failed: the model already contains bfloat16 ops: node 'cpu_bf16' (Const) in @cpu; pre-existing bfloat16 ops can cause issues with the optimization (skip-safety-checks=true skips this check)

// skip-safety-checks=true converts anyway: existing bfloat16 ops stay, casts that became
// no-ops (bf16 -> f32 feeding bfloat16 ops) disappear, the existing f32 -> bf16 Cast of the
// argument serves all bfloat16 users, and CPU code (scope=tpu) is untouched.
// CHECK-LABEL: func.func @cpu
// CHECK-NEXT:    "tf.Const"() {dtype = bf16
// CHECK-NEXT:    "tf.Neg"(%x) {T = f32}
// CHECK-LABEL: func.func @tpu
// CHECK-NEXT:    %0 = "tf.Cast"(%x) {DstT = bf16, SrcT = f32} : (tensor<4xf32>) -> tensor<4xbf16> loc("to_bf16")
// CHECK-NEXT:    %1 = "tf.Relu"(%0) {T = bf16} : (tensor<4xbf16>) -> tensor<4xbf16> loc("relu_bf16")
// CHECK-NEXT:    %2 = "tf.Neg"(%1) {T = bf16} : (tensor<4xbf16>) -> tensor<4xbf16> loc("neg")
// CHECK-NEXT:    %3 = "tf.Mul"(%2, %0) {T = bf16} : (tensor<4xbf16>, tensor<4xbf16>) -> tensor<4xbf16> loc("mul")
// CHECK-NEXT:    %4 = "tf.Cast"(%3) {DstT = f32, SrcT = bf16} : (tensor<4xbf16>) -> tensor<4xf32> loc("mul/CastToF32")
// CHECK-NEXT:    return %4 : tensor<4xf32>
func.func @cpu(%x: tensor<4xf32>) -> (tensor<4xf32> {tf.name = "r"}) {
  %0 = "tf.Const"() {dtype = bf16, value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xbf16>} : () -> tensor<4xbf16> loc("cpu_bf16")
  %1 = "tf.Neg"(%x) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("cpu_neg")
  return %1 : tensor<4xf32>
}
func.func @tpu(%x: tensor<4xf32>) -> (tensor<4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Cast"(%x) {SrcT = f32, DstT = bf16} : (tensor<4xf32>) -> tensor<4xbf16> loc("to_bf16")
  %1 = "tf.Relu"(%0) {T = bf16} : (tensor<4xbf16>) -> tensor<4xbf16> loc("relu_bf16")
  %2 = "tf.Cast"(%1) {SrcT = bf16, DstT = f32} : (tensor<4xbf16>) -> tensor<4xf32> loc("to_f32")
  %3 = "tf.Neg"(%2) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("neg")
  %4 = "tf.Mul"(%3, %x) {T = f32} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("mul")
  return %4 : tensor<4xf32>
}
