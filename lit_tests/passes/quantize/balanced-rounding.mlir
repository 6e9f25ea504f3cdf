// RUN: smopt %s --split-input-file -p 'quantize{method=weight_only signature-keys= min-num-elements=0}' --pass-statistics 2>&1 | filecheck %s
// RUN: smopt %s --split-input-file -p 'quantize{method=weight_only signature-keys= min-num-elements=0 balanced-rounding=false}' | filecheck %s --check-prefix=PLAIN

// Balanced rounding: the activation comes from Relu, so it is never negative and has a
// positive mean; each output channel's rounding errors, times that mean, would shift every
// output of the channel. Column 0 (scale 1/127): w * 127 = [127, 51.3, 40.4, 30.45] rounds
// to [127, 51, 40, 30], errors summing to -1.15 steps; the element rounded furthest down
// (30.45) goes up to 31, leaving -0.15. Column 1 (scale 0.5/127): [127, 25.4, -25.4, 50.8]
// rounds with errors summing to 0.2 and stays.
// CHECK-LABEL: func.func @relu_input
// CHECK: "tf.Const"() {dtype = i8, value = dense<{{\[}}[127, 127], [51, 25], [40, -25], [31, 51]]> : tensor<4x2x!quant.uniform<i8:f32:1, {{.*}}>>} {{.*}} loc("w")
// PLAIN-LABEL: func.func @relu_input
// PLAIN: "tf.Const"() {dtype = i8, value = dense<{{\[}}[127, 127], [51, 25], [40, -25], [30, 51]]> : tensor<4x2x!quant.uniform<i8:f32:1, {{.*}}>>} {{.*}} loc("w")
func.func @relu_input(%x: tensor<?x4xf32>) -> (tensor<?x2xf32> {tf.name = "y"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<[[1.0, 0.5], [0.4039370, 0.1], [0.3181102, -0.1], [0.2397638, 0.2]]> : tensor<4x2xf32>} : () -> tensor<4x2xf32> loc("w")
  %r = "tf.Relu"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("relu")
  %m = "tf.MatMul"(%r, %w) {T = f32} : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32> loc("mm")
  return %m : tensor<?x2xf32>
}

// -----
// Through max pooling and a reshape the activation is still never negative.
// CHECK-LABEL: func.func @pooled
// CHECK: "tf.Const"() {dtype = i8, value = dense<{{\[}}[127, 127], [51, 25], [40, -25], [31, 51]]> {{.*}} loc("w")
func.func @pooled(%x: tensor<?x2x2x4xf32>) -> (tensor<?x2xf32> {tf.name = "y"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<[[1.0, 0.5], [0.4039370, 0.1], [0.3181102, -0.1], [0.2397638, 0.2]]> : tensor<4x2xf32>} : () -> tensor<4x2xf32> loc("w")
  %shape = "tf.Const"() {dtype = i32, value = dense<[-1, 4]> : tensor<2xi32>} : () -> tensor<2xi32> loc("shape")
  %r = "tf.Relu6"(%x) {T = f32} : (tensor<?x2x2x4xf32>) -> tensor<?x2x2x4xf32> loc("relu6")
  %p = "tf.MaxPool"(%r) {T = f32, data_format = "NHWC", ksize = [1, 2, 2, 1], padding = "VALID", strides = [1, 2, 2, 1]} : (tensor<?x2x2x4xf32>) -> tensor<?x1x1x4xf32> loc("pool")
  %f = "tf.Reshape"(%p, %shape) {T = f32, Tshape = i32} : (tensor<?x1x1x4xf32>, tensor<2xi32>) -> tensor<?x4xf32> loc("flatten")
  %m = "tf.MatMul"(%f, %w) {T = f32} : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32> loc("mm")
  return %m : tensor<?x2xf32>
}

// -----
// A function argument may be negative (zero mean, say): plain round-to-nearest.
// CHECK-LABEL: func.func @argument_input
// CHECK: "tf.Const"() {dtype = i8, value = dense<{{\[}}[127, 127], [51, 25], [40, -25], [30, 51]]> {{.*}} loc("w")
func.func @argument_input(%x: tensor<?x4xf32>) -> (tensor<?x2xf32> {tf.name = "y"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<[[1.0, 0.5], [0.4039370, 0.1], [0.3181102, -0.1], [0.2397638, 0.2]]> : tensor<4x2xf32>} : () -> tensor<4x2xf32> loc("w")
  %m = "tf.MatMul"(%x, %w) {T = f32} : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32> loc("mm")
  return %m : tensor<?x2xf32>
}

// Statistics (printed after all chunks): two weights balanced, the argument's not.
// CHECK: (S) 1 num-balanced
// CHECK: (S) 1 num-balanced
// CHECK: (S) 0 num-balanced
