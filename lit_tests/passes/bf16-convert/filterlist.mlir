// RUN: smopt %s --split-input-file -p 'bf16-convert{filterlist=Relu,Tanh keep-f32-outputs=false}' | filecheck %s
// RUN: smopt %s --split-input-file -p 'bf16-convert{keep-f32-ops=Sigmoid,-Softmax keep-f32-outputs=false}' | filecheck %s --check-prefix=KEEP
// RUN: not smopt %s --split-input-file -p 'bf16-convert{filterlist=Expp}' 2>&1 | filecheck %s --check-prefix=BAD
// RUN: not smopt %s --split-input-file -p 'bf16-convert{keep-f32-ops=-Softmaxx}' 2>&1 | filecheck %s --check-prefix=BAD2
// BAD: error: pass 'bf16-convert' failed: filterlist names 'Expp', which is not a TensorFlow op type
// BAD2: error: pass 'bf16-convert' failed: keep-f32-ops names 'Softmaxx', which is not a TensorFlow op type

// The ops kept in float32 by default are data: passes/data/bf16_policy.json. (The output
// rule, outputs.mlir, is off here: these functions return what their ops compute.)
// Filterlisted ops stay float32: their inputs are cast to float32 and their outputs back to
// bfloat16 where a user converts (their outputs count as bfloat16 for infer ops: Sigmoid).
// Consecutive float32 ops share no casts between them. The built-in list keeps Softmax
// (and Exp, Log, Rsqrt, ...) float32 too.
// CHECK-LABEL: func.func @tpu(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Cast"(%x) {DstT = bf16, SrcT = f32} : (tensor<4x4xf32>) -> tensor<4x4xbf16> loc("x/CastToBF16")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.MatMul"([[V0]], [[V0]]) {T = bf16} : (tensor<4x4xbf16>, tensor<4x4xbf16>) -> tensor<4x4xbf16> loc("mm")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.Cast"([[V1]]) {DstT = f32, SrcT = bf16} : (tensor<4x4xbf16>) -> tensor<4x4xf32> loc("mm/CastToF32")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.Relu"([[V2]]) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("relu")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.Tanh"([[V3]]) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("tanh")
// CHECK-NEXT: [[V5:%[0-9]+]] = "tf.Cast"([[V4]]) {DstT = bf16, SrcT = f32} : (tensor<4x4xf32>) -> tensor<4x4xbf16> loc("tanh/CastToBF16")
// CHECK-NEXT: [[V6:%[0-9]+]] = "tf.Sigmoid"([[V5]]) {T = bf16} : (tensor<4x4xbf16>) -> tensor<4x4xbf16> loc("sigmoid")
// CHECK-NEXT: [[V7:%[0-9]+]] = "tf.Cast"([[V6]]) {DstT = f32, SrcT = bf16} : (tensor<4x4xbf16>) -> tensor<4x4xf32> loc("sigmoid/CastToF32")
// CHECK-NEXT: [[V8:%[0-9]+]] = "tf.Softmax"([[V7]]) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("softmax")
// CHECK-NEXT: [[V9:%[0-9]+]] = "tf.Softmax"([[V2]]) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("softmax_mm")
// CHECK-NEXT: return [[V8]], [[V9]] : tensor<4x4xf32>, tensor<4x4xf32>
// CHECK-NEXT: }
// keep-f32-ops adds Sigmoid to the built-in list (kept like it: the Softmax after it stays
// float32 too) and removes Softmax from it: Softmax then follows its input (softmax_mm).
// KEEP-LABEL: func.func @tpu(
// KEEP-NEXT: [[V0:%[0-9]+]] = "tf.Cast"(%x) {DstT = bf16, SrcT = f32} : (tensor<4x4xf32>) -> tensor<4x4xbf16> loc("x/CastToBF16")
// KEEP-NEXT: [[V1:%[0-9]+]] = "tf.MatMul"([[V0]], [[V0]]) {T = bf16} : (tensor<4x4xbf16>, tensor<4x4xbf16>) -> tensor<4x4xbf16> loc("mm")
// KEEP-NEXT: [[V2:%[0-9]+]] = "tf.Relu"([[V1]]) {T = bf16} : (tensor<4x4xbf16>) -> tensor<4x4xbf16> loc("relu")
// KEEP-NEXT: [[V3:%[0-9]+]] = "tf.Tanh"([[V2]]) {T = bf16} : (tensor<4x4xbf16>) -> tensor<4x4xbf16> loc("tanh")
// KEEP-NEXT: [[V4:%[0-9]+]] = "tf.Cast"([[V3]]) {DstT = f32, SrcT = bf16} : (tensor<4x4xbf16>) -> tensor<4x4xf32> loc("tanh/CastToF32")
// KEEP-NEXT: [[V5:%[0-9]+]] = "tf.Sigmoid"([[V4]]) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("sigmoid")
// KEEP-NEXT: [[V6:%[0-9]+]] = "tf.Softmax"([[V5]]) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("softmax")
// KEEP-NEXT: [[V7:%[0-9]+]] = "tf.Softmax"([[V1]]) {T = bf16} : (tensor<4x4xbf16>) -> tensor<4x4xbf16> loc("softmax_mm")
// KEEP-NEXT: [[V8:%[0-9]+]] = "tf.Cast"([[V7]]) {DstT = f32, SrcT = bf16} : (tensor<4x4xbf16>) -> tensor<4x4xf32> loc("softmax_mm/CastToF32")
// KEEP-NEXT: return [[V6]], [[V8]] : tensor<4x4xf32>, tensor<4x4xf32>
// KEEP-NEXT: }
func.func @tpu(%x: tensor<4x4xf32>) -> (tensor<4x4xf32> {tf.name = "r"}, tensor<4x4xf32> {tf.name = "s"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.MatMul"(%x, %x) {T = f32} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("mm")
  %1 = "tf.Relu"(%0) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("relu")
  %2 = "tf.Tanh"(%1) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("tanh")
  %3 = "tf.Sigmoid"(%2) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("sigmoid")
  %4 = "tf.Softmax"(%3) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("softmax")
  %5 = "tf.Softmax"(%0) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("softmax_mm")
  return %4, %5 : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----
// Built-in float32 ops: exponentials, roots, reductions (Sum, Mean, whatever their size),
// and what they feed up to the next MatMul/Conv ("scaled": a Mul of a bfloat16 Max and a
// float32 Mean stays float32); Max converts. FusedBatchNormV3 converts x/y but keeps its
// statistics (U) float32, and stays float32 when it computes batch statistics
// (is_training = true). Ops with no bfloat16 CPU kernel in TensorFlow (MatrixInverse) stay
// float32; integer, bool and shape computations are untouched; comparisons and Shape follow
// their input instead of forcing a cast.
// CHECK-LABEL: func.func @builtin(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Cast"(%x) {DstT = bf16, SrcT = f32} : (tensor<8x16xf32>) -> tensor<8x16xbf16> loc("x/CastToBF16")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.Cast"(%w) {DstT = bf16, SrcT = f32} : (tensor<16x16xf32>) -> tensor<16x16xbf16> loc("w/CastToBF16")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.Cast"(%img) {DstT = bf16, SrcT = f32} : (tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xbf16> loc("img/CastToBF16")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.Cast"(%k) {DstT = bf16, SrcT = f32} : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xbf16> loc("k/CastToBF16")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.MatMul"([[V0]], [[V1]]) {T = bf16} : (tensor<8x16xbf16>, tensor<16x16xbf16>) -> tensor<8x16xbf16> loc("mm")
// CHECK-NEXT: [[V5:%[0-9]+]] = "tf.Cast"([[V4]]) {DstT = f32, SrcT = bf16} : (tensor<8x16xbf16>) -> tensor<8x16xf32> loc("mm/CastToF32")
// CHECK-NEXT: [[V6:%[0-9]+]] = "tf.Exp"([[V5]]) {T = f32} : (tensor<8x16xf32>) -> tensor<8x16xf32> loc("exp")
// CHECK-NEXT: [[V7:%[0-9]+]] = "tf.Pow"([[V5]], [[V5]]) {T = f32} : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32> loc("pow")
// CHECK-NEXT: [[V8:%[0-9]+]] = "tf.Sqrt"([[V5]]) {T = f32} : (tensor<8x16xf32>) -> tensor<8x16xf32> loc("sqrt")
// CHECK-NEXT: [[V9:%[0-9]+]] = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("axis1")
// CHECK-NEXT: [[V10:%[0-9]+]] = "tf.Const"() {dtype = i32, value = dense<[0, 1]> : tensor<2xi32>} : () -> tensor<2xi32> loc("axes01")
// CHECK-NEXT: [[V11:%[0-9]+]] = "tf.Sum"([[V5]], [[V9]]) {T = f32} : (tensor<8x16xf32>, tensor<i32>) -> tensor<8xf32> loc("sum")
// CHECK-NEXT: [[V12:%[0-9]+]] = "tf.Mean"([[V5]], [[V10]]) {T = f32} : (tensor<8x16xf32>, tensor<2xi32>) -> tensor<f32> loc("mean")
// CHECK-NEXT: [[V13:%[0-9]+]] = "tf.Max"([[V4]], [[V10]]) {T = bf16} : (tensor<8x16xbf16>, tensor<2xi32>) -> tensor<bf16> loc("max")
// CHECK-NEXT: [[V14:%[0-9]+]] = "tf.Cast"([[V13]]) {DstT = f32, SrcT = bf16} : (tensor<bf16>) -> tensor<f32> loc("max/CastToF32")
// CHECK-NEXT: [[V15:%[0-9]+]] = "tf.Mul"([[V14]], [[V12]]) {T = f32} : (tensor<f32>, tensor<f32>) -> tensor<f32> loc("scaled")
// CHECK-NEXT: [[V16:%[0-9]+]] = "tf.Sum"(%y, [[V9]]) {T = f32} : (tensor<?x?xf32>, tensor<i32>) -> tensor<?xf32> loc("unknown_sum")
// CHECK-NEXT: [[V17:%[0-9]+]] = "tf.MatrixInverse"(%m) {T = f32} : (tensor<3x3xf32>) -> tensor<3x3xf32> loc("inverse")
// CHECK-NEXT: [[V18:%[0-9]+]] = "tf.Shape"([[V4]]) {T = bf16} : (tensor<8x16xbf16>) -> tensor<2xi32> loc("shape")
// CHECK-NEXT: [[V19:%[0-9]+]] = "tf.Shape"(%y) {T = f32} : (tensor<?x?xf32>) -> tensor<2xi32> loc("shape_y")
// CHECK-NEXT: [[V20:%[0-9]+]] = "tf.Less"([[V4]], [[V4]]) {T = bf16} : (tensor<8x16xbf16>, tensor<8x16xbf16>) -> tensor<8x16xi1> loc("less")
// CHECK-NEXT: [[V21:%[0-9]+]] = "tf.AddV2"([[V18]], [[V18]]) {T = i32} : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32> loc("int_add")
// CHECK-NEXT: [[V22:%[0-9]+]] = "tf.Conv2D"([[V2]], [[V3]]) {T = bf16, padding = "VALID", strides = [1, 1, 1, 1]} : (tensor<1x2x2x3xbf16>, tensor<1x1x3x3xbf16>) -> tensor<1x2x2x3xbf16> loc("conv")
// CHECK-NEXT: [[V23:%[0-9]+]] = "tf.Cast"([[V22]]) {DstT = f32, SrcT = bf16} : (tensor<1x2x2x3xbf16>) -> tensor<1x2x2x3xf32> loc("conv/CastToF32")
// CHECK-NEXT: [[V24:%[0-9]+]]:6 = "tf.FusedBatchNormV3"([[V22]], %s, %s, %s, %s) {T = bf16, U = f32, epsilon = 0.001, is_training = false} : (tensor<1x2x2x3xbf16>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<1x2x2x3xbf16>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<*xf32>) loc("bn")
// CHECK-NEXT: [[V25:%[0-9]+]] = "tf.Cast"([[V24]]#0) {DstT = f32, SrcT = bf16} : (tensor<1x2x2x3xbf16>) -> tensor<1x2x2x3xf32> loc("bn/CastToF32")
// CHECK-NEXT: [[V26:%[0-9]+]]:6 = "tf.FusedBatchNormV3"([[V23]], %s, %s, %s, %s) {T = f32, U = f32, epsilon = 0.001, is_training = true} : (tensor<1x2x2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<1x2x2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<*xf32>) loc("bn_train")
// CHECK-NEXT: return [[V6]], [[V7]], [[V8]], [[V11]], [[V12]], [[V14]], [[V15]], [[V16]], [[V17]], [[V21]], [[V19]], [[V20]], [[V25]], [[V26]]#0 : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<8xf32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<?xf32>, tensor<3x3xf32>, tensor<2xi32>, tensor<2xi32>, tensor<8x16xi1>, tensor<1x2x2x3xf32>, tensor<1x2x2x3xf32>
// CHECK-NEXT: }
func.func @builtin(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>, %y: tensor<?x?xf32>, %m: tensor<3x3xf32>, %img: tensor<1x2x2x3xf32>, %k: tensor<1x1x3x3xf32>, %s: tensor<3xf32>) -> (tensor<8x16xf32> {tf.name = "exp"}, tensor<8x16xf32> {tf.name = "pow"}, tensor<8x16xf32> {tf.name = "sqrt"}, tensor<8xf32> {tf.name = "sum"}, tensor<f32> {tf.name = "mean"}, tensor<f32> {tf.name = "max"}, tensor<f32> {tf.name = "scaled"}, tensor<?xf32> {tf.name = "unknown"}, tensor<3x3xf32> {tf.name = "inv"}, tensor<2xi32> {tf.name = "shape"}, tensor<2xi32> {tf.name = "shape_y"}, tensor<8x16xi1> {tf.name = "less"}, tensor<1x2x2x3xf32> {tf.name = "bn"}, tensor<1x2x2x3xf32> {tf.name = "bn_train"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.MatMul"(%x, %w) {T = f32} : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32> loc("mm")
  %1 = "tf.Exp"(%0) {T = f32} : (tensor<8x16xf32>) -> tensor<8x16xf32> loc("exp")
  %2 = "tf.Pow"(%0, %0) {T = f32} : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32> loc("pow")
  %3 = "tf.Sqrt"(%0) {T = f32} : (tensor<8x16xf32>) -> tensor<8x16xf32> loc("sqrt")
  %a1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("axis1")
  %a01 = "tf.Const"() {dtype = i32, value = dense<[0, 1]> : tensor<2xi32>} : () -> tensor<2xi32> loc("axes01")
  %4 = "tf.Sum"(%0, %a1) {T = f32} : (tensor<8x16xf32>, tensor<i32>) -> tensor<8xf32> loc("sum")
  %5 = "tf.Mean"(%0, %a01) {T = f32} : (tensor<8x16xf32>, tensor<2xi32>) -> tensor<f32> loc("mean")
  %6 = "tf.Max"(%0, %a01) {T = f32} : (tensor<8x16xf32>, tensor<2xi32>) -> tensor<f32> loc("max")
  %7 = "tf.Mul"(%6, %5) {T = f32} : (tensor<f32>, tensor<f32>) -> tensor<f32> loc("scaled")
  %8 = "tf.Sum"(%y, %a1) {T = f32} : (tensor<?x?xf32>, tensor<i32>) -> tensor<?xf32> loc("unknown_sum")
  %9 = "tf.MatrixInverse"(%m) {T = f32} : (tensor<3x3xf32>) -> tensor<3x3xf32> loc("inverse")
  %10 = "tf.Shape"(%0) {T = f32} : (tensor<8x16xf32>) -> tensor<2xi32> loc("shape")
  %11 = "tf.Shape"(%y) {T = f32} : (tensor<?x?xf32>) -> tensor<2xi32> loc("shape_y")
  %12 = "tf.Less"(%0, %0) {T = f32} : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xi1> loc("less")
  %13 = "tf.AddV2"(%10, %10) {T = i32} : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32> loc("int_add")
  %c = "tf.Conv2D"(%img, %k) {T = f32, padding = "VALID", strides = [1, 1, 1, 1]} : (tensor<1x2x2x3xf32>, tensor<1x1x3x3xf32>) -> tensor<1x2x2x3xf32> loc("conv")
  %14:6 = "tf.FusedBatchNormV3"(%c, %s, %s, %s, %s) {T = f32, U = f32, epsilon = 0.001, is_training = false} : (tensor<1x2x2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<1x2x2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<*xf32>) loc("bn")
  %15:6 = "tf.FusedBatchNormV3"(%c, %s, %s, %s, %s) {T = f32, U = f32, epsilon = 0.001, is_training = true} : (tensor<1x2x2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<1x2x2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<*xf32>) loc("bn_train")
  return %1, %2, %3, %4, %5, %6, %7, %8, %9, %13, %11, %12, %14#0, %15#0 : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<8xf32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<?xf32>, tensor<3x3xf32>, tensor<2xi32>, tensor<2xi32>, tensor<8x16xi1>, tensor<1x2x2x3xf32>, tensor<1x2x2x3xf32>
}

// -----
// Types that describe bytes or text stay: Bitcast and AsString of a bfloat16 value get it
// back as float32 (one shared cast), so they see the same data as before.
// CHECK-LABEL: func.func @raw(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Cast"(%x) {DstT = bf16, SrcT = f32} : (tensor<4x4xf32>) -> tensor<4x4xbf16> loc("x/CastToBF16")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.MatMul"([[V0]], [[V0]]) {T = bf16} : (tensor<4x4xbf16>, tensor<4x4xbf16>) -> tensor<4x4xbf16> loc("mm")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.Cast"([[V1]]) {DstT = f32, SrcT = bf16} : (tensor<4x4xbf16>) -> tensor<4x4xf32> loc("mm/CastToF32")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.Bitcast"([[V2]]) {T = f32, type = i32} : (tensor<4x4xf32>) -> tensor<4x4xi32> loc("bits")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.AsString"([[V2]]) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4x!tf_type.string> loc("text")
// CHECK-NEXT: return [[V3]], [[V4]] : tensor<4x4xi32>, tensor<4x4x!tf_type.string>
// CHECK-NEXT: }
func.func @raw(%x: tensor<4x4xf32>) -> (tensor<4x4xi32> {tf.name = "bits"}, tensor<4x4x!tf_type.string> {tf.name = "text"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.MatMul"(%x, %x) {T = f32} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("mm")
  %1 = "tf.Bitcast"(%0) {T = f32, type = i32} : (tensor<4x4xf32>) -> tensor<4x4xi32> loc("bits")
  %2 = "tf.AsString"(%0) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4x!tf_type.string> loc("text")
  return %1, %2 : tensor<4x4xi32>, tensor<4x4x!tf_type.string>
}
