// RUN: echo '{"format": "smopt-calibration-v1", "functions": {"matmul": {"mm": {"min": -1.0, "max": 3.0, "mean": [1.0, 2.0]}}, "depthwise": {"dw": {"min": -2.0, "max": 2.0, "mean": [2.0, 1.0]}}, "no_mean": {"mm": {"min": -1.0, "max": 3.0}}}}' > %t.json
// RUN: smopt %s --split-input-file -p 'quantize{method=static_range calibration=%t.json signature-keys= min-num-elements=0}' --pass-statistics 2>&1 | filecheck %s
// RUN: smopt %s --split-input-file -p 'quantize{method=static_range calibration=%t.json signature-keys= min-num-elements=0 bias-correction=false}' | filecheck %s --check-prefix=OFF

// Bias correction: rounding makes the int8 weight differ from w: column 0 (scale 1/127)
// rounds 0.25 * 127 = 31.75 to 32, column 1 (scale 4/127) rounds -2 * 127/4 = -63.5 to -64,
// column 2 (scale 1/127) rounds 63.5 to 64: dw = [[0, -0.015748, 0.003937], [0.001969, 0, 0]]. With the calibrated activation means
// [1, 2], the expected output shifts by mean . dw = [0.003937, -0.015748, 0.003937]; the bias
// [0.1, 0.2, 0.3] becomes [0.096063, 0.215748, 0.296063] before static range folds it into
// the int32 accumulator at output scales [1.2351e-4, 4.9406e-4, 1.2351e-4]:
// round(bias / scale) = [778, 437, 2397] instead of [810, 405, 2429]. The correction
// subtracted from the accumulator is zp * colsum - bias = -64 * [159, 63, -63] - bias.
// CHECK-LABEL: func.func @matmul
// CHECK: "tf.BatchMatMulV3"
// CHECK-NEXT: "tf.Const"() {dtype = i32, value = dense<[-10954, -4469, 1635]> : tensor<3xi32>}
// OFF-LABEL: func.func @matmul
// OFF: "tf.BatchMatMulV3"
// OFF-NEXT: "tf.Const"() {dtype = i32, value = dense<[-10986, -4437, 1603]> : tensor<3xi32>}
func.func @matmul(%x: tensor<?x2xf32>) -> (tensor<?x3xf32> {tf.name = "y"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<[[1.0, -2.0, 0.5], [0.25, 4.0, -1.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32> loc("w")
  %b = "tf.Const"() {dtype = f32, value = dense<[0.1, 0.2, 0.3]> : tensor<3xf32>} : () -> tensor<3xf32> loc("b")
  %m = "tf.MatMul"(%x, %w) {T = f32} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32> loc("mm")
  %y = "tf.BiasAdd"(%m, %b) {T = f32, data_format = "NHWC"} : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32> loc("bias")
  return %y : tensor<?x3xf32>
}

// -----
// A depthwise convolution keeps a float BiasAdd (its lowering is simulated), so the corrected
// bias is visible: channel 0's taps [1, 0.25] (scale 1/127) round 31.75 to 32, dw = 0.0019685,
// times the channel mean 2 -> 0.5 - 0.003937 = 0.496063; channel 1's taps [0.3, -0.3] are
// exact. The corrected constant takes the old one's name.
// CHECK-LABEL: func.func @depthwise
// CHECK: %[[B:.*]] = "tf.Const"() {dtype = f32, value = dense<[0.496063, -0.5]> : tensor<2xf32>} : () -> tensor<2xf32> loc("b")
// CHECK: "tf.BiasAdd"(%{{.*}}, %[[B]])
// OFF-LABEL: func.func @depthwise
// OFF: %[[B:.*]] = "tf.Const"() {dtype = f32, value = dense<[0.5, -0.5]> : tensor<2xf32>} : () -> tensor<2xf32> loc("b")
func.func @depthwise(%x: tensor<?x4x4x2xf32>) -> (tensor<?x4x3x2xf32> {tf.name = "y"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<[[[[1.0], [0.3]], [[0.25], [-0.3]]]]> : tensor<1x2x2x1xf32>} : () -> tensor<1x2x2x1xf32> loc("w")
  %b = "tf.Const"() {dtype = f32, value = dense<[0.5, -0.5]> : tensor<2xf32>} : () -> tensor<2xf32> loc("b")
  %c = "tf.DepthwiseConv2dNative"(%x, %w) {T = f32, data_format = "NHWC", padding = "VALID", strides = [1, 1, 1, 1]} : (tensor<?x4x4x2xf32>, tensor<1x2x2x1xf32>) -> tensor<?x4x3x2xf32> loc("dw")
  %y = "tf.BiasAdd"(%c, %b) {T = f32, data_format = "NHWC"} : (tensor<?x4x3x2xf32>, tensor<2xf32>) -> tensor<?x4x3x2xf32> loc("bias")
  return %y : tensor<?x4x3x2xf32>
}

// -----
// Statistics without activation means (an older calibration file): the bias folds uncorrected.
// CHECK-LABEL: func.func @no_mean
// CHECK: "tf.BatchMatMulV3"
// CHECK-NEXT: "tf.Const"() {dtype = i32, value = dense<[-10986, -4437, 1603]> : tensor<3xi32>}
func.func @no_mean(%x: tensor<?x2xf32>) -> (tensor<?x3xf32> {tf.name = "y"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<[[1.0, -2.0, 0.5], [0.25, 4.0, -1.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32> loc("w")
  %b = "tf.Const"() {dtype = f32, value = dense<[0.1, 0.2, 0.3]> : tensor<3xf32>} : () -> tensor<3xf32> loc("b")
  %m = "tf.MatMul"(%x, %w) {T = f32} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32> loc("mm")
  %y = "tf.BiasAdd"(%m, %b) {T = f32, data_format = "NHWC"} : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32> loc("bias")
  return %y : tensor<?x3xf32>
}

// CHECK: (S) 1 num-bias-corrected
// CHECK: (S) 1 num-bias-corrected
// CHECK: (S) 0 num-bias-corrected
