// RUN: smopt %s --split-input-file -p bf16-convert | filecheck %s
// RUN: smopt %s --split-input-file -p bf16-convert --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=STATS

// Minimal casts: a float32 input shared by several bfloat16 ops is cast once, right at
// the top; a bfloat16 value needed as float32 by several kept ops is cast once, right
// after its definition; a float32 value that was cast to bfloat16 is used directly where
// float32 is needed (no cast whose result is cast back). Relu (clear), Tanh, Sigmoid and
// AddN (infer) follow the MatMul's bfloat16 result; Exp, Log and Pow stay float32.
// CHECK-LABEL: func.func @shared
// CHECK-NEXT:    %0 = "tf.Cast"(%x) {DstT = bf16, SrcT = f32} : (tensor<8x8xf32>) -> tensor<8x8xbf16> loc("x/CastToBF16")
// CHECK-NEXT:    %1 = "tf.MatMul"(%0, %0) {T = bf16} {{.*}} loc("mm")
// CHECK-NEXT:    %2 = "tf.Relu"(%1) {T = bf16} {{.*}} loc("relu")
// CHECK-NEXT:    %3 = "tf.Tanh"(%1) {T = bf16} {{.*}} loc("tanh")
// CHECK-NEXT:    %4 = "tf.Sigmoid"(%1) {T = bf16} {{.*}} loc("sigmoid")
// CHECK-NEXT:    %5 = "tf.Exp"(%x) {T = f32} {{.*}} loc("exp_x")
// CHECK-NEXT:    %6 = "tf.AddN"(%2, %3, %4) {N = 3, T = bf16} {{.*}} loc("sum")
// CHECK-NEXT:    %7 = "tf.Cast"(%6) {DstT = f32, SrcT = bf16} : (tensor<8x8xbf16>) -> tensor<8x8xf32> loc("sum/CastToF32")
// CHECK-NEXT:    %8 = "tf.Exp"(%7) {T = f32} {{.*}} loc("exp")
// CHECK-NEXT:    %9 = "tf.Log"(%7) {T = f32} {{.*}} loc("log")
// CHECK-NEXT:    %10 = "tf.Pow"(%7, %7) {T = f32} {{.*}} loc("pow")
// CHECK-NEXT:    return %8, %9, %10, %5 : tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>
// STATS: BFloat16Conversion (bf16-convert)
// STATS-NEXT: (S) 5 num-ops-converted
// STATS-NEXT: (S) 2 num-casts-inserted
func.func @shared(%x: tensor<8x8xf32>) -> (tensor<8x8xf32> {tf.name = "exp"}, tensor<8x8xf32> {tf.name = "log"}, tensor<8x8xf32> {tf.name = "pow"}, tensor<8x8xf32> {tf.name = "exp_x"}) attributes {smopt.tpu_function = true} {
  %m = "tf.MatMul"(%x, %x) {T = f32} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32> loc("mm")
  %0 = "tf.Relu"(%m) {T = f32} : (tensor<8x8xf32>) -> tensor<8x8xf32> loc("relu")
  %1 = "tf.Tanh"(%m) {T = f32} : (tensor<8x8xf32>) -> tensor<8x8xf32> loc("tanh")
  %2 = "tf.Sigmoid"(%m) {T = f32} : (tensor<8x8xf32>) -> tensor<8x8xf32> loc("sigmoid")
  %ex = "tf.Exp"(%x) {T = f32} : (tensor<8x8xf32>) -> tensor<8x8xf32> loc("exp_x")
  %3 = "tf.AddN"(%0, %1, %2) {N = 3, T = f32} : (tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32> loc("sum")
  %4 = "tf.Exp"(%3) {T = f32} : (tensor<8x8xf32>) -> tensor<8x8xf32> loc("exp")
  %5 = "tf.Log"(%3) {T = f32} : (tensor<8x8xf32>) -> tensor<8x8xf32> loc("log")
  %6 = "tf.Pow"(%3, %3) {T = f32} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32> loc("pow")
  return %4, %5, %6, %ex : tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>
}

// -----
// Constants: a float32 constant used only by bfloat16 ops becomes a bfloat16 constant (same
// node name, value rounded to nearest even: 0.1 -> 0x3DCD); one with
// float32 and bfloat16 users gets a bfloat16 twin. Integer constants are untouched.
// CHECK-LABEL: func.func @consts
// CHECK-NEXT:    %0 = "tf.Cast"(%x) {DstT = bf16, SrcT = f32} {{.*}} loc("x/CastToBF16")
// CHECK-NEXT:    %1 = "tf.Const"() {dtype = bf16, value = dense<"0xCD3D"> : tensor<bf16>} : () -> tensor<bf16> loc("tenth")
// CHECK-NEXT:    %2 = "tf.Const"() {dtype = bf16, value = dense<"0x803F0040"> : tensor<2xbf16>} : () -> tensor<2xbf16> loc("pair")
// CHECK-NEXT:    %3 = "tf.Const"() {dtype = f32, value = dense<3.0> : tensor<4x2xf32>} : () -> tensor<4x2xf32> loc("three")
// CHECK-NEXT:    %4 = "tf.Const"() {dtype = bf16, value = dense<"0x40404040404040404040404040404040"> : tensor<4x2xbf16>} : () -> tensor<4x2xbf16> loc("three/bf16")
// CHECK-NEXT:    %5 = "tf.Const"() {dtype = i32, value = dense<[1, 4]> : tensor<2xi32>} : () -> tensor<2xi32> loc("shape")
// CHECK-NEXT:    %6 = "tf.MatMul"(%0, %4) {T = bf16} {{.*}} loc("mm")
// CHECK-NEXT:    %7 = "tf.Mul"(%6, %1) {T = bf16} {{.*}} loc("scale")
// CHECK-NEXT:    %8 = "tf.AddV2"(%7, %2) {T = bf16} {{.*}} loc("shift")
// CHECK-NEXT:    %9 = "tf.Reshape"(%8, %5) {T = bf16} {{.*}} loc("reshape")
// CHECK-NEXT:    %10 = "tf.Cast"(%9) {DstT = f32, SrcT = bf16} {{.*}} loc("reshape/CastToF32")
// CHECK-NEXT:    %11 = "tf.Exp"(%3) {T = f32} {{.*}} loc("exp")
// CHECK-NEXT:    return %10, %11
// STATS: BFloat16Conversion (bf16-convert)
// STATS: (S) 3 num-constants-converted
func.func @consts(%x: tensor<2x4xf32>) -> (tensor<1x4xf32> {tf.name = "r"}, tensor<4x2xf32> {tf.name = "e"}) attributes {smopt.tpu_function = true} {
  %c1 = "tf.Const"() {dtype = f32, value = dense<0.1> : tensor<f32>} : () -> tensor<f32> loc("tenth")
  %c2 = "tf.Const"() {dtype = f32, value = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32> loc("pair")
  %c3 = "tf.Const"() {dtype = f32, value = dense<3.0> : tensor<4x2xf32>} : () -> tensor<4x2xf32> loc("three")
  %s = "tf.Const"() {dtype = i32, value = dense<[1, 4]> : tensor<2xi32>} : () -> tensor<2xi32> loc("shape")
  %0 = "tf.MatMul"(%x, %c3) {T = f32} : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32> loc("mm")
  %1 = "tf.Mul"(%0, %c1) {T = f32} : (tensor<2x2xf32>, tensor<f32>) -> tensor<2x2xf32> loc("scale")
  %2 = "tf.AddV2"(%1, %c2) {T = f32} : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<2x2xf32> loc("shift")
  %3 = "tf.Reshape"(%2, %s) {T = f32} : (tensor<2x2xf32>, tensor<2xi32>) -> tensor<1x4xf32> loc("reshape")
  %4 = "tf.Exp"(%c3) {T = f32} : (tensor<4x2xf32>) -> tensor<4x2xf32> loc("exp")
  return %3, %4 : tensor<1x4xf32>, tensor<4x2xf32>
}

// -----
// Infer and clear ops follow their inputs: an Identity or Neg of a float32 argument stays
// float32 (the cast moves to the bfloat16 user), a Neg and an Identity of a bfloat16 value
// are bfloat16, and an AddV2 with one bfloat16 input is bfloat16.
// CHECK-LABEL: func.func @follow
// CHECK-NEXT:    %0 = "tf.Identity"(%x) {T = f32} {{.*}} loc("id_x")
// CHECK-NEXT:    %1 = "tf.Cast"(%0) {DstT = bf16, SrcT = f32} {{.*}} loc("id_x/CastToBF16")
// CHECK-NEXT:    %2 = "tf.MatMul"(%1, %1) {T = bf16} {{.*}} loc("mm")
// CHECK-NEXT:    %3 = "tf.Neg"(%2) {T = bf16} {{.*}} loc("neg")
// CHECK-NEXT:    %4 = "tf.Identity"(%3) {T = bf16} {{.*}} loc("id_neg")
// CHECK-NEXT:    %5 = "tf.Neg"(%x) {T = f32} {{.*}} loc("neg_x")
// CHECK-NEXT:    %6 = "tf.Cast"(%5) {DstT = bf16, SrcT = f32} {{.*}} loc("neg_x/CastToBF16")
// CHECK-NEXT:    %7 = "tf.AddV2"(%4, %6) {T = bf16} {{.*}} loc("add")
// CHECK-NEXT:    %8 = "tf.Cast"(%7) {DstT = f32, SrcT = bf16} {{.*}} loc("add/CastToF32")
// CHECK-NEXT:    return %8 : tensor<3x3xf32>
func.func @follow(%x: tensor<3x3xf32>) -> (tensor<3x3xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Identity"(%x) {T = f32} : (tensor<3x3xf32>) -> tensor<3x3xf32> loc("id_x")
  %1 = "tf.MatMul"(%0, %0) {T = f32} : (tensor<3x3xf32>, tensor<3x3xf32>) -> tensor<3x3xf32> loc("mm")
  %2 = "tf.Neg"(%1) {T = f32} : (tensor<3x3xf32>) -> tensor<3x3xf32> loc("neg")
  %3 = "tf.Identity"(%2) {T = f32} : (tensor<3x3xf32>) -> tensor<3x3xf32> loc("id_neg")
  %4 = "tf.Neg"(%x) {T = f32} : (tensor<3x3xf32>) -> tensor<3x3xf32> loc("neg_x")
  %5 = "tf.AddV2"(%3, %4) {T = f32} : (tensor<3x3xf32>, tensor<3x3xf32>) -> tensor<3x3xf32> loc("add")
  return %5 : tensor<3x3xf32>
}

// -----
// A Cast from an integer stays float32 (its users cast as they need); a bfloat16 user gets
// its own i32 -> bf16 Cast of the integer (i32 -> f32 -> bf16 could round twice).
// CHECK-LABEL: func.func @int_source
// CHECK-NEXT:    %0 = "tf.Cast"(%i) {DstT = bf16, SrcT = i32} : (tensor<4x4xi32>) -> tensor<4x4xbf16> loc("to_float/CastToBF16")
// CHECK-NEXT:    %1 = "tf.Cast"(%i) {DstT = f32, SrcT = i32} : (tensor<4x4xi32>) -> tensor<4x4xf32> loc("to_float")
// CHECK-NEXT:    %2 = "tf.MatMul"(%0, %0) {T = bf16} {{.*}} loc("mm")
// CHECK-NEXT:    %3 = "tf.Cast"(%2) {DstT = f32, SrcT = bf16} {{.*}} loc("mm/CastToF32")
// CHECK-NEXT:    %4 = "tf.Exp"(%1) {T = f32} {{.*}} loc("exp")
// CHECK-NEXT:    return %3, %4
func.func @int_source(%i: tensor<4x4xi32>) -> (tensor<4x4xf32> {tf.name = "a"}, tensor<4x4xf32> {tf.name = "b"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Cast"(%i) {SrcT = i32, DstT = f32} : (tensor<4x4xi32>) -> tensor<4x4xf32> loc("to_float")
  %1 = "tf.MatMul"(%0, %0) {T = f32} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("mm")
  %2 = "tf.Exp"(%0) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("exp")
  return %1, %2 : tensor<4x4xf32>, tensor<4x4xf32>
}
