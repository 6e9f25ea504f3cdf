// RUN: echo '{"format": "smopt-calibration-v1", "functions": {"f": {"mm": {"min": -1.0, "max": 3.0}}, "chain": {"dense1": {"min": -1.0, "max": 3.0}, "dense2": {"min": 0.0, "max": 3.0}}, "folded_bias": {"mm": {"min": -1.0, "max": 3.0}}, "g": {"conv": {"min": 0.0, "max": 6.0}, "depthwise": {"min": -2.0, "max": 2.0}}, "old_name": {"mm2": {"min": -1.0, "max": 0.9921875}}}}' > %t.json
// The integer lowering checked here is built by passes/quantize_lowering.py.
// RUN: smopt %s --split-input-file -p 'quantize{method=static_range calibration=%t.json signature-keys= min-num-elements=0}' --pass-statistics 2>&1 | filecheck %s

// MatMul: the activation range [-1, 3] gives scale 4/255 and zero point -64; x is
// quantized as round(x / scale) - 64, clipped to [-128, 127] and cast to int8 (its type shows
// the parameters). The int8 bounds are constants every lowering of the function shares,
// first in the function. BatchMatMulV3 multiplies int8 x int8 into int32 on CPU; the zero
// point's share, zp * (column sums of the int8 weight [159, 63, -63]), is subtracted; the
// int32 result times scale_x * scale_w[channel] is the float result BiasAdd consumes (the
// bias is an argument here, so it stays a float BiasAdd).
// CHECK-LABEL: func.func @f
// CHECK-NEXT: %[[HI:.*]] = "tf.Const"() {dtype = f32, value = dense<127.0> : tensor<f32>} : () -> tensor<f32> loc("quantize/qmax")
// CHECK-NEXT: %[[LO:.*]] = "tf.Const"() {dtype = f32, value = dense<-128.0> : tensor<f32>} : () -> tensor<f32> loc("quantize/qmin")
// CHECK-NEXT: %[[W:.*]] = "tf.Const"() {dtype = i8, value = dense<{{\[}}[127, -64, 64], [32, 127, -127]]> : tensor<2x3x!quant.uniform<i8:f32:1, {0.007874015718698502:0,0.031496062874794006:0,0.007874015718698502:0}>>} {{.*}} loc("w")
// CHECK-NEXT: %[[S:.*]] = "tf.Const"() {dtype = f32, value = dense<0.015686275> : tensor<f32>} : () -> tensor<f32> loc("mm/act_scale")
// CHECK-NEXT: %[[SX:.*]] = "tf.RealDiv"(%x, %[[S]]) {T = f32} {{.*}} loc("mm/scale_x")
// CHECK-NEXT: %[[R:.*]] = "tf.Round"(%[[SX]])
// CHECK-NEXT: %[[ZP:.*]] = "tf.Const"() {dtype = f32, value = dense<-64.0> : tensor<f32>}
// CHECK-NEXT: %[[A:.*]] = "tf.AddV2"(%[[R]], %[[ZP]])
// CHECK-NEXT: %[[CL:.*]] = "tf.ClipByValue"(%[[A]], %[[LO]], %[[HI]])
// CHECK-NEXT: %[[Q:.*]] = "tf.Cast"(%[[CL]]) {DstT = i8, SrcT = f32, Truncate = false} : (tensor<?x2xf32>) -> tensor<?x2x!quant.uniform<i8:f32, 0.01568627543747425:-64>> loc("mm/quantize")
// CHECK-NEXT: %[[ACC:.*]] = "tf.BatchMatMulV3"(%[[Q]], %[[W]]) {Ta = i8, Tb = i8, Tout = i32, adj_x = false, adj_y = false, smopt.quantized = "static_range"} {{.*}} -> tensor<?x3xi32> loc("mm")
// CHECK-NEXT: %[[CORR:.*]] = "tf.Const"() {dtype = i32, value = dense<[-10176, -4032, 4032]> : tensor<3xi32>}
// CHECK-NEXT: %[[SUB:.*]] = "tf.Sub"(%[[ACC]], %[[CORR]]) {T = i32}
// CHECK-NEXT: %[[F:.*]] = "tf.Cast"(%[[SUB]]) {DstT = f32, SrcT = i32, Truncate = false} : (tensor<?x3xi32>) -> tensor<?x3xf32>
// CHECK-NEXT: %[[OS:.*]] = "tf.Const"() {dtype = f32, value = dense<[0.00012351398, 0.0004940559, 0.00012351398]> : tensor<3xf32>} : () -> tensor<3xf32> loc("mm/output_scale")
// CHECK-NEXT: %[[Y:.*]] = "tf.Mul"(%[[F]], %[[OS]]) {T = f32} {{.*}} loc("mm/rescale")
// CHECK-NEXT: "tf.BiasAdd"(%[[Y]], %b)
func.func @f(%x: tensor<?x2xf32>, %b: tensor<3xf32>) -> (tensor<?x3xf32> {tf.name = "y"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<[[1.0, -2.0, 0.5], [0.25, 4.0, -1.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32> loc("w")
  %m = "tf.MatMul"(%x, %w) {T = f32} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32> loc("mm")
  %a = "tf.BiasAdd"(%m, %b) {T = f32} : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32> loc("bias")
  return %a : tensor<?x3xf32>
}

// -----
// A constant bias joins the int32 accumulator, as in TF's quantizer: round(b / output scale)
// = round([0.5, -1, 0.25] / [0.00012351398, 0.0004940559, 0.00012351398]) = [4048, -2024,
// 2024] is subtracted from the zero-point correction, [-10176, -4032, 4032] - [4048, -2024,
// 2024] = [-14224, -2008, 2008]. The BiasAdd and the float bias are gone; Relu follows the
// rescale.
// CHECK-LABEL: func.func @folded_bias
// CHECK: %[[ACC:.*]] = "tf.BatchMatMulV3"
// CHECK-NEXT: %[[CORR:.*]] = "tf.Const"() {dtype = i32, value = dense<[-14224, -2008, 2008]> : tensor<3xi32>} : () -> tensor<3xi32> loc("mm/zp_correction")
// CHECK-NEXT: %[[SUB:.*]] = "tf.Sub"(%[[ACC]], %[[CORR]]) {T = i32}
// CHECK-NEXT: %[[F:.*]] = "tf.Cast"(%[[SUB]])
// CHECK-NEXT: "tf.Const"() {dtype = f32, value = dense<[0.00012351398, 0.0004940559, 0.00012351398]> : tensor<3xf32>}
// CHECK-NEXT: %[[Y:.*]] = "tf.Mul"(%[[F]], %{{.*}}) {T = f32} {{.*}} loc("mm/rescale")
// CHECK-NEXT: %[[RELU:.*]] = "tf.Relu"(%[[Y]])
// CHECK-NEXT: return %[[RELU]]
func.func @folded_bias(%x: tensor<?x2xf32>) -> (tensor<?x3xf32> {tf.name = "y"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<[[1.0, -2.0, 0.5], [0.25, 4.0, -1.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32> loc("w")
  %b = "tf.Const"() {dtype = f32, value = dense<[0.5, -1.0, 0.25]> : tensor<3xf32>} : () -> tensor<3xf32> loc("b")
  %bi = "tf.Identity"(%b) {T = f32} : (tensor<3xf32>) -> tensor<3xf32> loc("b/read")
  %m = "tf.MatMul"(%x, %w) {T = f32} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32> loc("mm")
  %a = "tf.BiasAdd"(%m, %bi) {T = f32} : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32> loc("bias")
  %r = "tf.Relu"(%a) {T = f32} : (tensor<?x3xf32>) -> tensor<?x3xf32> loc("relu")
  return %r : tensor<?x3xf32>
}

// -----
// Conv2D after Relu6 ([0, 6]: scale 6/255, zero point -128): TF's CPU Conv2D takes int32, so
// both int8 operands are widened and the zero point is subtracted before the convolution
// (exact, also for SAME padding). DepthwiseConv2dNative has no integer CPU kernel: the
// activation goes through the same int8 rounding and is dequantized (simulated path).
// CHECK-LABEL: func.func @g
// CHECK: "tf.Cast"({{.*}}) {DstT = i8, SrcT = f32, Truncate = false} : (tensor<?x4x4x2xf32>) -> tensor<?x4x4x2x!quant.uniform<i8:f32, 0.0235294122248888:-128>> loc("conv/quantize")
// CHECK-NEXT: %[[XI:.*]] = "tf.Cast"({{.*}}) {DstT = i32, SrcT = i8, Truncate = false} {{.*}} loc("conv/to_int32")
// CHECK-NEXT: %[[Z:.*]] = "tf.Const"() {dtype = i32, value = dense<-128> : tensor<i32>}
// CHECK-NEXT: %[[XC:.*]] = "tf.Sub"(%[[XI]], %[[Z]]) {T = i32}
// CHECK-NEXT: %[[WI:.*]] = "tf.Cast"({{.*}}) {DstT = i32, SrcT = i8, Truncate = false} : (tensor<1x1x2x2x!quant.uniform<i8:f32:3, {{.*}}>>) -> tensor<1x1x2x2xi32> loc("conv/weight_to_int32")
// CHECK-NEXT: %[[C:.*]] = "tf.Conv2D"(%[[XC]], %[[WI]]) {T = i32, padding = "SAME", smopt.quantized = "static_range", strides = [1, 1, 1, 1]} {{.*}} -> tensor<?x4x4x2xi32> loc("conv")
// The conv result feeds only the depthwise op's int8 activation: it is requantized directly,
// float(acc) * (output scale [0.00018527097, 0.00037054194] / 0.015686275) + zero point -1.
// CHECK-NEXT: %[[CF:.*]] = "tf.Cast"(%[[C]]) {DstT = f32, SrcT = i32
// CHECK-NEXT: %[[RS:.*]] = "tf.Const"() {dtype = f32, value = dense<[0.011811024, 0.023622047]> : tensor<2xf32>} : () -> tensor<2xf32> loc("conv/requant_scale")
// CHECK-NEXT: %[[M:.*]] = "tf.Mul"(%[[CF]], %[[RS]]) {{.*}} loc("conv/rescale")
// The simulated path below reuses the site's scale and zero-point constants.
// CHECK-NEXT: %[[DS:.*]] = "tf.Const"() {dtype = f32, value = dense<0.015686275> : tensor<f32>} : () -> tensor<f32> loc("depthwise/act_scale")
// CHECK-NEXT: %[[RO:.*]] = "tf.Const"() {dtype = f32, value = dense<-1.0> : tensor<f32>} : () -> tensor<f32> loc("conv/requant_offset")
// CHECK-NEXT: %[[RQ:.*]] = "tf.AddV2"(%[[M]], %[[RO]]) {{.*}} loc("conv/requant")
// CHECK-NEXT: "tf.Round"(%[[RQ]]) {{.*}} loc("depthwise/round")
// CHECK-NEXT: %[[DZP:.*]] = "tf.Const"() {dtype = f32, value = dense<-1.0> : tensor<f32>} : () -> tensor<f32> loc("depthwise/zp")
// CHECK: tensor<?x4x4x2x!quant.uniform<i8:f32, 0.01568627543747425:-1>> loc("depthwise/quantize")
// CHECK-NEXT: "tf.Cast"({{.*}}) {DstT = f32, SrcT = i8, Truncate = false} {{.*}} loc("depthwise/to_float")
// CHECK-NEXT: "tf.Sub"(%{{.*}}, %[[DZP]]) {{.*}} loc("depthwise/sub_zp")
// CHECK-NEXT: "tf.Mul"(%{{.*}}, %[[DS]]) {{.*}} loc("depthwise/dequantize_x")
// CHECK: "tf.DepthwiseConv2dNative"({{.*}}) {T = f32, padding = "SAME", smopt.quantized = "static_range", strides = [1, 1, 1, 1]}
func.func @g(%x: tensor<?x4x4x2xf32>) -> (tensor<?x4x4x2xf32> {tf.name = "y"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<[[[[1.0, 2.0], [-0.5, 0.5]]]]> : tensor<1x1x2x2xf32>} : () -> tensor<1x1x2x2xf32> loc("w")
  %c = "tf.Conv2D"(%x, %w) {T = f32, padding = "SAME", strides = [1, 1, 1, 1]} : (tensor<?x4x4x2xf32>, tensor<1x1x2x2xf32>) -> tensor<?x4x4x2xf32> loc("conv")
  %dw = "tf.Const"() {dtype = f32, value = dense<[[[[1.0], [2.0]]]]> : tensor<1x1x2x1xf32>} : () -> tensor<1x1x2x1xf32> loc("dw")
  %d = "tf.DepthwiseConv2dNative"(%c, %dw) {T = f32, padding = "SAME", strides = [1, 1, 1, 1]} : (tensor<?x4x4x2xf32>, tensor<1x1x2x1xf32>) -> tensor<?x4x4x2xf32> loc("depthwise")
  return %d : tensor<?x4x4x2xf32>
}

// -----
// Dense -> Relu -> Dense (the MLP case). dense1's int32 result (zero-point correction and
// folded bias in `off`) goes straight into dense2's int8 activation: Round(float(acc) * c + d),
// c = os1 / s2 = [0.00012351398, 0.0004940559, 0.00012351398] / (3/255), d = zp2 - off * c
// with off = -[-14224, -2008, 2008] (as in @folded_bias) and zp2 = -128; Relu becomes the
// clip's lower bound zp2 = -128 (no change here, as the ReLU output's range starts at 0). No float Relu, RealDiv or BiasAdd is
// left between the two integer matmuls.
// CHECK-LABEL: func.func @chain
// CHECK: %[[A1:.*]] = "tf.BatchMatMulV3"({{.*}}) {{.*}} loc("dense1")
// CHECK-NEXT: %[[F1:.*]] = "tf.Cast"(%[[A1]]) {DstT = f32, SrcT = i32, Truncate = false}
// CHECK-NEXT: %[[C1:.*]] = "tf.Const"() {dtype = f32, value = dense<[0.010498688, 0.04199475, 0.010498688]> : tensor<3xf32>} : () -> tensor<3xf32> loc("dense1/requant_scale")
// CHECK-NEXT: %[[M1:.*]] = "tf.Mul"(%[[F1]], %[[C1]]) {{.*}} loc("dense1/rescale")
// CHECK-NEXT: %[[D1:.*]] = "tf.Const"() {dtype = f32, value = dense<[21.333332, -43.67454, -149.08136]> : tensor<3xf32>} : () -> tensor<3xf32> loc("dense1/requant_offset")
// CHECK-NEXT: %[[T1:.*]] = "tf.AddV2"(%[[M1]], %[[D1]]) {{.*}} loc("dense1/requant")
// CHECK-NEXT: %[[R2:.*]] = "tf.Round"(%[[T1]]) {{.*}} loc("dense2/round")
// CHECK-NEXT: %[[CL2:.*]] = "tf.ClipByValue"(%[[R2]], %{{.*}}, %{{.*}}) {{.*}} loc("dense2/clip")
// CHECK-NEXT: %[[Q2:.*]] = "tf.Cast"(%[[CL2]]) {DstT = i8, SrcT = f32, Truncate = false} : (tensor<?x3xf32>) -> tensor<?x3x!quant.uniform<i8:f32, 0.0117647061124444:-128>> loc("dense2/quantize")
// CHECK-NEXT: "tf.BatchMatMulV3"(%[[Q2]], %{{.*}}) {{.*}} loc("dense2")
// CHECK-NOT: "tf.Relu"
// CHECK-NOT: "tf.RealDiv"
// CHECK: return
func.func @chain(%x: tensor<?x2xf32>) -> (tensor<?x2xf32> {tf.name = "y"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<[[1.0, -2.0, 0.5], [0.25, 4.0, -1.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32> loc("w")
  %b = "tf.Const"() {dtype = f32, value = dense<[0.5, -1.0, 0.25]> : tensor<3xf32>} : () -> tensor<3xf32> loc("b")
  %m = "tf.MatMul"(%x, %w) {T = f32} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32> loc("dense1")
  %a = "tf.BiasAdd"(%m, %b) {T = f32} : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32> loc("bias")
  %r = "tf.Relu"(%a) {T = f32} : (tensor<?x3xf32>) -> tensor<?x3xf32> loc("relu")
  %w2 = "tf.Const"() {dtype = f32, value = dense<[[1.0, -1.0], [0.5, 2.0], [-0.25, 1.0]]> : tensor<3x2xf32>} : () -> tensor<3x2xf32> loc("w2")
  %n = "tf.MatMul"(%r, %w2) {T = f32} : (tensor<?x3xf32>, tensor<3x2xf32>) -> tensor<?x2xf32> loc("dense2")
  return %n : tensor<?x2xf32>
}

// -----
// @new_name is not in the statistics (an earlier pass renamed it): node "mm2" is found by
// name. [-1, 127/128] gives scale 1/128 and zero point 0: no zero-point terms. "mm3" has no statistics (never ran
// during calibration) and stays float. (The statistics of all four cases follow the output.)
// CHECK-LABEL: func.func @new_name
// CHECK-NOT: "tf.AddV2"
// CHECK: tensor<?x2x!quant.uniform<i8:f32, 0.0078125:0>> loc("mm2/quantize")
// CHECK-NEXT: "tf.BatchMatMulV3"
// CHECK-NEXT: "tf.Cast"
// CHECK: "tf.MatMul"(%x, %{{.*}}) {T = f32} {{.*}} loc("mm3")
// CHECK: (S) 1 num-quantized
// CHECK: (S) 1 num-folded-biases
// CHECK: (S) 1 num-requantized
// CHECK: (S) 1 num-skipped-no-stats
func.func @new_name(%x: tensor<?x2xf32>) -> (tensor<?x3xf32> {tf.name = "y"}, tensor<?x3xf32> {tf.name = "z"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<[[1.0, -2.0, 0.5], [0.25, 4.0, -1.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32> loc("w")
  %m = "tf.MatMul"(%x, %w) {T = f32} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32> loc("mm2")
  %n = "tf.MatMul"(%x, %w) {T = f32} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32> loc("mm3")
  return %m, %n : tensor<?x3xf32>, tensor<?x3xf32>
}
