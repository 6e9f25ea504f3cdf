// RUN: smopt %s --split-input-file -p 'quantize{method=weight_only signature-keys= min-num-elements=0}' | filecheck %s
// RUN: smopt %s --split-input-file -p 'quantize{method=weight_only signature-keys= min-num-elements=0 per-channel=false}' | filecheck %s --check-prefix=TENSOR

// Weight-only: the float weight becomes an int8 constant (symmetric, zero point 0, one scale
// per output channel = column of a MatMul weight: max|w| / 127), dequantized in front of the
// unchanged float MatMul; BiasAdd and Relu are untouched.
// CHECK-LABEL: func.func @matmul
// CHECK-NEXT: %[[W:.*]] = "tf.Const"() {dtype = i8, value = dense<{{\[}}[127, -64, 64], [32, 127, -127]]> : tensor<2x3x!quant.uniform<i8:f32:1, {0.007874015718698502:0,0.031496062874794006:0,0.007874015718698502:0}>>} {{.*}} loc("w")
// CHECK: %[[C:.*]] = "tf.Cast"(%[[W]]) {DstT = f32, SrcT = i8, Truncate = false} {{.*}} -> tensor<2x3xf32> loc("mm/dequantize_cast")
// CHECK-NEXT: %[[S:.*]] = "tf.Const"() {dtype = f32, value = dense<{{\[}}[0.007874016, 0.031496063, 0.007874016]]> : tensor<1x3xf32>}
// CHECK-NEXT: %[[D:.*]] = "tf.Mul"(%[[C]], %[[S]]) {T = f32} : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32> loc("mm/dequantize")
// CHECK-NEXT: %[[M:.*]] = "tf.MatMul"(%x, %[[D]]) {T = f32, smopt.quantized = "weight_only"} {{.*}} loc("mm")
// CHECK-NEXT: "tf.BiasAdd"(%[[M]]
// CHECK-NEXT: "tf.Relu"
// TENSOR-LABEL: func.func @matmul
// TENSOR-NEXT: "tf.Const"() {dtype = i8, value = dense<{{\[}}[32, -64, 16], [8, 127, -32]]> : tensor<2x3x!quant.uniform<i8:f32, 0.031496062874794006:0>>}
// TENSOR: "tf.Const"() {dtype = f32, value = dense<0.031496063> : tensor<f32>} : () -> tensor<f32> loc("mm/dequantize_scale")
func.func @matmul(%x: tensor<?x2xf32>) -> (tensor<?x3xf32> {tf.name = "y"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<[[1.0, -2.0, 0.5], [0.25, 4.0, -1.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32> loc("w")
  %b = "tf.Const"() {dtype = f32, value = dense<[0.5, 0.0, -0.5]> : tensor<3xf32>} : () -> tensor<3xf32> loc("b")
  %m = "tf.MatMul"(%x, %w) {T = f32} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32> loc("mm")
  %a = "tf.BiasAdd"(%m, %b) {T = f32} : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32> loc("bias")
  %r = "tf.Relu"(%a) {T = f32} : (tensor<?x3xf32>) -> tensor<?x3xf32> loc("relu")
  return %r : tensor<?x3xf32>
}

// -----
// transpose_b: the output channel is the weight's axis 0 (scales broadcast as [3, 1]).
// A constant that also feeds a float op stays for it; an Identity between weight and op is
// looked through.
// CHECK-LABEL: func.func @transposed
// CHECK-NEXT: "tf.Const"() {dtype = i8, value = dense<{{\[}}[127, 32], [-64, 127], [64, -127]]> : tensor<3x2x!quant.uniform<i8:f32:0, {0.007874015718698502:0,0.031496062874794006:0,0.007874015718698502:0}>>} {{.*}} loc("w/int8")
// CHECK: "tf.Const"() {dtype = f32, value = dense<{{\[}}[1.0, 0.25], [-2.0, 4.0], [0.5, -1.0]]> : tensor<3x2xf32>} {{.*}} loc("w")
// CHECK: tensor<3x1xf32> loc("mm/dequantize_scale")
// CHECK: "tf.MatMul"(%x, %{{.*}}) {T = f32, smopt.quantized = "weight_only", transpose_b = true}
// CHECK: "tf.Neg"
func.func @transposed(%x: tensor<?x2xf32>) -> (tensor<?x3xf32> {tf.name = "y"}, tensor<3x2xf32> {tf.name = "z"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<[[1.0, 0.25], [-2.0, 4.0], [0.5, -1.0]]> : tensor<3x2xf32>} : () -> tensor<3x2xf32> loc("w")
  %i = "tf.Identity"(%w) {T = f32} : (tensor<3x2xf32>) -> tensor<3x2xf32> loc("w/read")
  %m = "tf.MatMul"(%x, %i) {T = f32, transpose_b = true} : (tensor<?x2xf32>, tensor<3x2xf32>) -> tensor<?x3xf32> loc("mm")
  %n = "tf.Neg"(%w) {T = f32} : (tensor<3x2xf32>) -> tensor<3x2xf32> loc("neg")
  return %m, %n : tensor<?x3xf32>, tensor<3x2xf32>
}

// -----
// Conv2D: filter [H, W, I, O], per-channel along O (axis 3).
// CHECK-LABEL: func.func @conv
// CHECK-NEXT: "tf.Const"() {dtype = i8, value = dense<{{\[}}[{{\[}}[127, 127], [-64, 32]]]]> : tensor<1x1x2x2x!quant.uniform<i8:f32:3, {0.007874015718698502:0,0.015748031437397003:0}>>}
// CHECK: tensor<1x1x1x2xf32> loc("conv/dequantize_scale")
// CHECK: "tf.Conv2D"(%x, %{{.*}}) {T = f32, padding = "SAME", smopt.quantized = "weight_only", strides = [1, 1, 1, 1]}
// TENSOR-LABEL: func.func @conv
// TENSOR-NEXT: "tf.Const"() {dtype = i8, value = dense<{{\[}}[{{\[}}[64, 127], [-32, 32]]]]> : tensor<1x1x2x2x!quant.uniform<i8:f32, 0.015748031437397003:0>>}
func.func @conv(%x: tensor<?x4x4x2xf32>) -> (tensor<?x4x4x2xf32> {tf.name = "y"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<[[[[1.0, 2.0], [-0.5, 0.5]]]]> : tensor<1x1x2x2xf32>} : () -> tensor<1x1x2x2xf32> loc("w")
  %c = "tf.Conv2D"(%x, %w) {T = f32, padding = "SAME", strides = [1, 1, 1, 1]} : (tensor<?x4x4x2xf32>, tensor<1x1x2x2xf32>) -> tensor<?x4x4x2xf32> loc("conv")
  return %c : tensor<?x4x4x2xf32>
}

// -----
// BatchMatMulV2 (channel = last weight axis), DepthwiseConv2dNative [H, W, C, 1] (channel =
// axis 2) and Einsum (channel = the weight letter that reaches the output only from it).
// CHECK-LABEL: func.func @others
// CHECK-DAG: tensor<2x2x2x!quant.uniform<i8:f32:2, {0.007874015718698502:0,0.015748031437397003:0}>>
// CHECK-DAG: tensor<1x1x2x1x!quant.uniform<i8:f32:2, {0.007874015718698502:0,0.015748031437397003:0}>>
// CHECK-DAG: tensor<2x2x!quant.uniform<i8:f32:1, {0.007874015718698502:0,0.015748031437397003:0}>>
// CHECK: "tf.BatchMatMulV2"({{.*}}smopt.quantized = "weight_only"
// CHECK: "tf.DepthwiseConv2dNative"({{.*}}smopt.quantized = "weight_only"
// CHECK: "tf.Einsum"({{.*}}smopt.quantized = "weight_only"
func.func @others(%x: tensor<2x3x2xf32>, %img: tensor<1x3x3x2xf32>) -> (tensor<2x3x2xf32> {tf.name = "a"}, tensor<1x3x3x2xf32> {tf.name = "b"}, tensor<2x3x2xf32> {tf.name = "c"}) {
  %w3 = "tf.Const"() {dtype = f32, value = dense<[[[1.0, 2.0], [0.5, -1.0]], [[-0.5, 0.25], [0.75, 1.5]]]> : tensor<2x2x2xf32>} : () -> tensor<2x2x2xf32> loc("w3")
  %b = "tf.BatchMatMulV2"(%x, %w3) {T = f32} : (tensor<2x3x2xf32>, tensor<2x2x2xf32>) -> tensor<2x3x2xf32> loc("bmm")
  %dw = "tf.Const"() {dtype = f32, value = dense<[[[[1.0], [2.0]]]]> : tensor<1x1x2x1xf32>} : () -> tensor<1x1x2x1xf32> loc("dw")
  %d = "tf.DepthwiseConv2dNative"(%img, %dw) {T = f32, padding = "SAME", strides = [1, 1, 1, 1]} : (tensor<1x3x3x2xf32>, tensor<1x1x2x1xf32>) -> tensor<1x3x3x2xf32> loc("depthwise")
  %we = "tf.Const"() {dtype = f32, value = dense<[[1.0, -2.0], [0.5, 1.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32> loc("we")
  %e = "tf.Einsum"(%x, %we) {N = 2, T = f32, equation = "bij,jk->bik"} : (tensor<2x3x2xf32>, tensor<2x2xf32>) -> tensor<2x3x2xf32> loc("einsum")
  return %b, %d, %e : tensor<2x3x2xf32>, tensor<1x3x3x2xf32>, tensor<2x3x2xf32>
}
