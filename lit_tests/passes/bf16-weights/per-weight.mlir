// Per-weight options of the passes compiler/compression.py combines: each weight (a constant
// named function/node, or a variable path) gets its own choice; the others are left alone.
// RUN: smopt %s -p 'prune-weights{sparsity=0.5 min-elements=0 storage=dense weights=f/w1},quantize{method=weight_only signature-keys= min-num-elements=0 weights=f/w2},bf16-weights{min-elements=0 weights=f/w3}' | filecheck %s
// RUN: smopt %s -p 'bf16-weights{min-elements=0}' | filecheck %s --check-prefix=ALL
// RUN: smopt %s -p 'bf16-weights' --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=MIN
// RUN: smopt %s -p 'quantize{method=weight_only signature-keys= min-num-elements=0 weights=nope}' --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=NONE

// w1: pruned (the two smallest magnitudes of four go), w2: int8 weight-only, w3: bfloat16
// storage (1.00390625 rounds to 1.0 = 0x3F80: bfloat16 keeps 8 significant bits; the constant
// prints as little-endian hex) read through a Cast
// that takes over the constant's name; w4 (not named) and the rank-1 bias stay as they are.
// CHECK-LABEL: func.func @f
// CHECK-DAG: "tf.Const"() {dtype = f32, value = dense<{{\[\[}}0.0, -2.0], [0.0, 4.0]]> : tensor<2x2xf32>} {{.*}} loc("w1")
// CHECK-DAG: "tf.Const"() {dtype = i8, value = dense<{{.*}}> : tensor<2x2x!quant.uniform<i8:f32:1, {{.*}}>>} {{.*}} loc("w2")
// CHECK-DAG: %[[LOW:.*]] = "tf.Const"() {dtype = bf16, value = dense<"0x803F0040404080C0"> : tensor<2x2xbf16>} {{.*}} loc("w3/bf16")
// CHECK-DAG: "tf.Cast"(%[[LOW]]) {DstT = f32, SrcT = bf16, Truncate = false} : (tensor<2x2xbf16>) -> tensor<2x2xf32> loc("w3")
// CHECK-DAG: "tf.Const"() {dtype = f32, value = dense<{{\[\[}}1.0039062, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} {{.*}} loc("w4")
// CHECK-DAG: "tf.Const"() {dtype = f32, value = dense<[1.0039062, 2.0]> : tensor<2xf32>} {{.*}} loc("b")

// ALL-LABEL: func.func @f
// ALL-DAG: loc("w1/bf16")
// ALL-DAG: loc("w2/bf16")
// ALL-DAG: loc("w3/bf16")
// ALL-DAG: loc("w4/bf16")
// ALL-NOT: loc("b/bf16")

// min-elements (default 1024) leaves these 4-element weights alone.
// MIN: (S) 0 num-constants

// A weights list naming nothing quantizes nothing.
// NONE: (S) 0 num-quantized
func.func @f(%x: tensor<?x2xf32>) -> (tensor<?x2xf32> {tf.name = "y"}) {
  %w1 = "tf.Const"() {dtype = f32, value = dense<[[0.5, -2.0], [-1.0, 4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32> loc("w1")
  %w2 = "tf.Const"() {dtype = f32, value = dense<[[1.0, -2.0], [0.5, 4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32> loc("w2")
  %w3 = "tf.Const"() {dtype = f32, value = dense<[[1.00390625, 2.0], [3.0, -4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32> loc("w3")
  %w4 = "tf.Const"() {dtype = f32, value = dense<[[1.00390625, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32> loc("w4")
  %b = "tf.Const"() {dtype = f32, value = dense<[1.00390625, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32> loc("b")
  %0 = "tf.MatMul"(%x, %w1) {T = f32} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32> loc("m1")
  %1 = "tf.MatMul"(%0, %w2) {T = f32} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32> loc("m2")
  %2 = "tf.MatMul"(%1, %w3) {T = f32} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32> loc("m3")
  %3 = "tf.MatMul"(%2, %w4) {T = f32} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32> loc("m4")
  %4 = "tf.BiasAdd"(%3, %b) {T = f32} : (tensor<?x2xf32>, tensor<2xf32>) -> tensor<?x2xf32> loc("bias")
  return %4 : tensor<?x2xf32>
}
