// RUN: smopt %s --split-input-file -p 'quantize{method=dynamic_range signature-keys= min-num-elements=0}' | filecheck %s

// Dynamic range: the activation's range is measured on every run, per row of a MatMul's
// activation (Min/Max over the contraction axis, kept as a size-1 dim; widened to contain 0):
// scale = (max - min) / 255, zero point = round(-128 - min / scale), both ?x1. Each row's
// result is independent of the other rows of its batch. The int8 activation has a plain i8
// type (its scales are only known at run time); the zero-point correction (an outer product
// of the row zero points and the weight's column sums) and the output scale (row scale x
// channel scale) are computed in the graph.
// The constants every lowering of a function needs (int8 bounds, 1/255, the reduction axes)
// are shared, first in the function. The zero point needs no clipping: min <= 0 <= max puts
// -128 - min / scale in [-128, 127].
// CHECK-LABEL: func.func @matmul
// CHECK-NEXT: %[[HI:.*]] = "tf.Const"() {dtype = f32, value = dense<127.0> : tensor<f32>} : () -> tensor<f32> loc("quantize/qmax")
// CHECK-NEXT: %[[QMIN:.*]] = "tf.Const"() {dtype = f32, value = dense<-128.0> : tensor<f32>} : () -> tensor<f32> loc("quantize/qmin")
// CHECK-NEXT: %[[EPS:.*]] = "tf.Const"() {dtype = f32, value = dense<1.0e-12> : tensor<f32>} : () -> tensor<f32> loc("quantize/min_scale")
// CHECK-NEXT: %[[INV:.*]] = "tf.Const"() {dtype = f32, value = dense<0.003921569> : tensor<f32>} : () -> tensor<f32> loc("quantize/inv_levels")
// CHECK-NEXT: %[[ZERO:.*]] = "tf.Const"() {dtype = f32, value = dense<0.0> : tensor<f32>} : () -> tensor<f32> loc("quantize/zero")
// CHECK-NEXT: %[[AX:.*]] = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<1xi32> loc("quantize/axes_1")
// CHECK-NEXT: %[[W:.*]] = "tf.Const"() {dtype = i8, {{.*}} : tensor<2x3x!quant.uniform<i8:f32:1, {0.007874015718698502:0,0.031496062874794006:0,0.007874015718698502:0}>>} {{.*}} loc("w")
// CHECK-NEXT: %[[MIN:.*]] = "tf.Min"(%x, %[[AX]]) {T = f32, Tidx = i32, keep_dims = true} : (tensor<?x2xf32>, tensor<1xi32>) -> tensor<?x1xf32> loc("mm/min")
// CHECK-NEXT: %[[MAX:.*]] = "tf.Max"(%x, %[[AX]]) {T = f32, Tidx = i32, keep_dims = true} : (tensor<?x2xf32>, tensor<1xi32>) -> tensor<?x1xf32> loc("mm/max")
// CHECK-NEXT: %[[LO:.*]] = "tf.Minimum"(%[[MIN]], %[[ZERO]])
// CHECK-NEXT: %[[HI0:.*]] = "tf.Maximum"(%[[MAX]], %[[ZERO]])
// CHECK-NEXT: %[[SPAN:.*]] = "tf.Sub"(%[[HI0]], %[[LO]])
// CHECK-NEXT: %[[RAW:.*]] = "tf.Mul"(%[[SPAN]], %[[INV]])
// CHECK-NEXT: %[[SCALE:.*]] = "tf.Maximum"(%[[RAW]], %[[EPS]]) {{.*}} -> tensor<?x1xf32> loc("mm/scale")
// CHECK-NEXT: %[[MOS:.*]] = "tf.RealDiv"(%[[LO]], %[[SCALE]])
// CHECK-NEXT: %[[ZPR:.*]] = "tf.Sub"(%[[QMIN]], %[[MOS]]) {T = f32} : (tensor<f32>, tensor<?x1xf32>) -> tensor<?x1xf32>
// CHECK-NEXT: %[[ZP:.*]] = "tf.Round"(%[[ZPR]]) {{.*}} -> tensor<?x1xf32> loc("mm/zero_point")
// CHECK-NEXT: %[[SX:.*]] = "tf.RealDiv"(%x, %[[SCALE]]) {T = f32} : (tensor<?x2xf32>, tensor<?x1xf32>) -> tensor<?x2xf32>
// CHECK-NEXT: %[[R:.*]] = "tf.Round"(%[[SX]])
// CHECK-NEXT: "tf.AddV2"(%[[R]], %[[ZP]])
// CHECK: %[[Q:.*]] = "tf.Cast"({{.*}}) {DstT = i8, SrcT = f32, Truncate = false} : (tensor<?x2xf32>) -> tensor<?x2xi8> loc("mm/quantize")
// CHECK-NEXT: %[[ACC:.*]] = "tf.BatchMatMulV3"(%[[Q]], %[[W]]) {Ta = i8, Tb = i8, Tout = i32, adj_x = false, adj_y = false, smopt.quantized = "dynamic_range"}
// CHECK-NEXT: %[[ZI:.*]] = "tf.Cast"(%[[ZP]]) {DstT = i32, SrcT = f32, Truncate = false} : (tensor<?x1xf32>) -> tensor<?x1xi32>
// CHECK-NEXT: %[[CS:.*]] = "tf.Const"() {dtype = i32, value = dense<[159, 63, -63]> : tensor<3xi32>} {{.*}} loc("mm/weight_colsum")
// CHECK-NEXT: %[[CORR:.*]] = "tf.Mul"(%[[ZI]], %[[CS]]) {T = i32} : (tensor<?x1xi32>, tensor<3xi32>) -> tensor<?x3xi32>
// CHECK-NEXT: %[[SUB:.*]] = "tf.Sub"(%[[ACC]], %[[CORR]]) {T = i32}
// CHECK-NEXT: %[[F:.*]] = "tf.Cast"(%[[SUB]]) {DstT = f32, SrcT = i32
// CHECK-NEXT: %[[WS:.*]] = "tf.Const"() {dtype = f32, value = dense<[0.007874016, 0.031496063, 0.007874016]> : tensor<3xf32>}
// CHECK-NEXT: %[[OS:.*]] = "tf.Mul"(%[[SCALE]], %[[WS]]) {T = f32} : (tensor<?x1xf32>, tensor<3xf32>) -> tensor<?x3xf32>
// CHECK-NEXT: %[[Y:.*]] = "tf.Mul"(%[[F]], %[[OS]]) {T = f32} {{.*}} loc("mm/rescale")
// CHECK-NEXT: return %[[Y]]
func.func @matmul(%x: tensor<?x2xf32>) -> (tensor<?x3xf32> {tf.name = "y"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<[[1.0, -2.0, 0.5], [0.25, 4.0, -1.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32> loc("w")
  %m = "tf.MatMul"(%x, %w) {T = f32} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32> loc("mm")
  return %m : tensor<?x3xf32>
}

// -----
// Conv2D (NCHW): one range per example (Min/Max over every axis but the batch); the zero point
// is subtracted from the widened activation in the graph; the per-channel weight scale
// broadcasts as [C, 1, 1] against the per-example scale [?, 1, 1, 1].
// CHECK-LABEL: func.func @conv
// CHECK: %[[AX:.*]] = "tf.Const"() {dtype = i32, value = dense<[1, 2, 3]> : tensor<3xi32>} : () -> tensor<3xi32> loc("quantize/axes_1_2_3")
// CHECK: "tf.Min"(%x, %[[AX]]) {T = f32, Tidx = i32, keep_dims = true} : (tensor<?x2x4x4xf32>, tensor<3xi32>) -> tensor<?x1x1x1xf32> loc("conv/min")
// CHECK: %[[SCALE:.*]] = "tf.Maximum"({{.*}}) {T = f32} : (tensor<?x1x1x1xf32>, tensor<f32>) -> tensor<?x1x1x1xf32> loc("conv/scale")
// CHECK: %[[Q:.*]] = "tf.Cast"({{.*}}) {DstT = i8, SrcT = f32, Truncate = false} : (tensor<?x2x4x4xf32>) -> tensor<?x2x4x4xi8> loc("conv/quantize")
// CHECK-NEXT: %[[XI:.*]] = "tf.Cast"(%[[Q]]) {DstT = i32
// CHECK-NEXT: %[[ZI:.*]] = "tf.Cast"(%{{.*}}) {DstT = i32, SrcT = f32, Truncate = false} : (tensor<?x1x1x1xf32>) -> tensor<?x1x1x1xi32> loc("conv/zp_i32")
// CHECK-NEXT: %[[XC:.*]] = "tf.Sub"(%[[XI]], %[[ZI]]) {T = i32}
// CHECK-NEXT: %[[WI:.*]] = "tf.Cast"
// CHECK-NEXT: "tf.Conv2D"(%[[XC]], %[[WI]]) {T = i32, data_format = "NCHW", padding = "VALID", smopt.quantized = "dynamic_range", strides = [1, 1, 1, 1]}
// CHECK-NEXT: "tf.Cast"
// CHECK-NEXT: %[[WS:.*]] = "tf.Const"() {dtype = f32, value = dense<{{\[}}{{\[}}[0.007874016]], {{\[}}[0.015748031]]]> : tensor<2x1x1xf32>}
// CHECK-NEXT: "tf.Mul"(%[[SCALE]], %[[WS]]) {T = f32} : (tensor<?x1x1x1xf32>, tensor<2x1x1xf32>) -> tensor<?x2x1x1xf32> loc("conv/output_scale")
func.func @conv(%x: tensor<?x2x4x4xf32>) -> (tensor<?x2x4x4xf32> {tf.name = "y"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<[[[[1.0, 2.0], [-0.5, 0.5]]]]> : tensor<1x1x2x2xf32>} : () -> tensor<1x1x2x2xf32> loc("w")
  %c = "tf.Conv2D"(%x, %w) {T = f32, data_format = "NCHW", padding = "VALID", strides = [1, 1, 1, 1]} : (tensor<?x2x4x4xf32>, tensor<1x1x2x2xf32>) -> tensor<?x2x4x4xf32> loc("conv")
  return %c : tensor<?x2x4x4xf32>
}

// -----
// Einsum and a transposed MatMul activation keep one range per tensor (scalar scale and zero
// point over every axis).
// CHECK-LABEL: func.func @per_tensor
// CHECK: %[[AX:.*]] = "tf.Const"() {dtype = i32, value = dense<[0, 1]> : tensor<2xi32>} : () -> tensor<2xi32> loc("quantize/all_axes_2d")
// CHECK: "tf.Min"(%x, %[[AX]]) {T = f32, Tidx = i32, keep_dims = false} : (tensor<2x4xf32>, tensor<2xi32>) -> tensor<f32> loc("mm_t/min")
// CHECK: "tf.BatchMatMulV3"({{.*}}) {Ta = i8, Tb = i8, Tout = i32, adj_x = true, adj_y = false, smopt.quantized = "dynamic_range"}
// CHECK: "tf.Min"(%x, %[[AX]]) {T = f32, Tidx = i32, keep_dims = false} : (tensor<2x4xf32>, tensor<2xi32>) -> tensor<f32> loc("es/min")
// CHECK: "tf.Einsum"({{.*}}) {N = 2, T = i32, equation = "bk,kn->bn", smopt.quantized = "dynamic_range"}
func.func @per_tensor(%x: tensor<2x4xf32>) -> (tensor<4x3xf32> {tf.name = "y"}, tensor<2x3xf32> {tf.name = "z"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<[[1.0, -2.0, 0.5], [0.25, 4.0, -1.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32> loc("w")
  %v = "tf.Const"() {dtype = f32, value = dense<0.5> : tensor<4x3xf32>} : () -> tensor<4x3xf32> loc("v")
  %m = "tf.MatMul"(%x, %w) {T = f32, transpose_a = true} : (tensor<2x4xf32>, tensor<2x3xf32>) -> tensor<4x3xf32> loc("mm_t")
  %e = "tf.Einsum"(%x, %v) {T = f32, N = 2, equation = "bk,kn->bn"} : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32> loc("es")
  return %m, %e : tensor<4x3xf32>, tensor<2x3xf32>
}

// -----
// A Relu output is never negative: per row, scale = max / 255 and the activation is stored as
// uint8 with zero point 0 (the same 256 levels over [0, max]); BatchMatMulV3 multiplies
// uint8 x int8 into int32 on CPU and there is no zero point to correct for.
// CHECK-LABEL: func.func @unsigned
// CHECK-NEXT: %[[U8MAX:.*]] = "tf.Const"() {dtype = f32, value = dense<255.0> : tensor<f32>} : () -> tensor<f32> loc("quantize/uint8_max")
// CHECK-NEXT: %[[ZERO:.*]] = "tf.Const"() {dtype = f32, value = dense<0.0> : tensor<f32>} : () -> tensor<f32> loc("quantize/zero")
// CHECK: %[[R:.*]] = "tf.Relu"(%x)
// CHECK-NEXT: %[[MAX:.*]] = "tf.Max"(%[[R]], %{{.*}}) {T = f32, Tidx = i32, keep_dims = true} : (tensor<?x2xf32>, tensor<1xi32>) -> tensor<?x1xf32> loc("mm/max")
// CHECK-NEXT: %[[RAW:.*]] = "tf.Mul"(%[[MAX]], %{{.*}}) {{.*}} loc("mm/scale_raw")
// CHECK-NEXT: %[[SCALE:.*]] = "tf.Maximum"(%[[RAW]], %{{.*}}) {{.*}} loc("mm/scale")
// CHECK-NEXT: %[[SX:.*]] = "tf.RealDiv"(%[[R]], %[[SCALE]])
// CHECK-NEXT: %[[RND:.*]] = "tf.Round"(%[[SX]])
// CHECK-NEXT: %[[CL:.*]] = "tf.ClipByValue"(%[[RND]], %[[ZERO]], %[[U8MAX]]) {T = f32}
// CHECK-NEXT: %[[Q:.*]] = "tf.Cast"(%[[CL]]) {DstT = ui8, SrcT = f32, Truncate = false} : (tensor<?x2xf32>) -> tensor<?x2xui8> loc("mm/quantize")
// CHECK-NEXT: %[[ACC:.*]] = "tf.BatchMatMulV3"(%[[Q]], %{{.*}}) {Ta = ui8, Tb = i8, Tout = i32, adj_x = false, adj_y = false, smopt.quantized = "dynamic_range"}
// CHECK-NEXT: %[[F:.*]] = "tf.Cast"(%[[ACC]]) {DstT = f32, SrcT = i32
// CHECK-NEXT: "tf.Const"() {{.*}} loc("mm/weight_scale")
// CHECK-NEXT: "tf.Mul"(%[[SCALE]], %{{.*}})
// CHECK-NEXT: "tf.Mul"(%[[F]], %{{.*}}) {{.*}} loc("mm/rescale")
func.func @unsigned(%x: tensor<?x2xf32>) -> (tensor<?x3xf32> {tf.name = "y"}) {
  %w = "tf.Const"() {dtype = f32, value = dense<[[1.0, -2.0, 0.5], [0.25, 4.0, -1.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32> loc("w")
  %r = "tf.Relu"(%x) {T = f32} : (tensor<?x2xf32>) -> tensor<?x2xf32> loc("relu")
  %m = "tf.MatMul"(%r, %w) {T = f32} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32> loc("mm")
  return %m : tensor<?x3xf32>
}
