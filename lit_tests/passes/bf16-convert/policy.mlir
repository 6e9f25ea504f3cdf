// RUN: smopt %s --split-input-file -p 'bf16-convert{keep-f32-outputs=false}' | filecheck %s

// The precision policy (passes/data/bf16_policy.json, at least as careful as TensorFlow's
// own bfloat16 auto-mixed-precision lists), op by op. The output rule (the last MatMul
// before a model output computes in float32, outputs.mlir) is off here so that each case
// shows the lists alone.

// Loop-carried state stays float32: in a While body every op whose result reaches a value
// the body returns changed (here h and c) is kept float32, the MatMuls included, and so is
// every function those ops call (@cell: the LSTM gates and cell state). Outside the loop,
// the MatMul on the final hidden state is bfloat16.
// CHECK-LABEL: func.func @cell(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("dim")
// CHECK-NEXT: [[V1:%[0-9]+]]:4 = "tf.Split"([[V0]], %z) {T = f32, num_split = 4} : (tensor<i32>, tensor<2x16xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) loc("split")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.Sigmoid"([[V1]]#0) {T = f32} : (tensor<2x4xf32>) -> tensor<2x4xf32> loc("in_gate")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.Sigmoid"([[V1]]#1) {T = f32} : (tensor<2x4xf32>) -> tensor<2x4xf32> loc("forget_gate")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.Tanh"([[V1]]#2) {T = f32} : (tensor<2x4xf32>) -> tensor<2x4xf32> loc("update")
// CHECK-NEXT: [[V5:%[0-9]+]] = "tf.Sigmoid"([[V1]]#3) {T = f32} : (tensor<2x4xf32>) -> tensor<2x4xf32> loc("out_gate")
// CHECK-NEXT: [[V6:%[0-9]+]] = "tf.Mul"([[V3]], %c) {T = f32} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32> loc("fc")
// CHECK-NEXT: [[V7:%[0-9]+]] = "tf.Mul"([[V2]], [[V4]]) {T = f32} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32> loc("iu")
// CHECK-NEXT: [[V8:%[0-9]+]] = "tf.AddV2"([[V6]], [[V7]]) {T = f32} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32> loc("c_next")
// CHECK-NEXT: [[V9:%[0-9]+]] = "tf.Tanh"([[V8]]) {T = f32} : (tensor<2x4xf32>) -> tensor<2x4xf32> loc("tanh_c")
// CHECK-NEXT: [[V10:%[0-9]+]] = "tf.Mul"([[V5]], [[V9]]) {T = f32} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32> loc("h_next")
// CHECK-NEXT: return [[V10]], [[V8]] : tensor<2x4xf32>, tensor<2x4xf32>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @body(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("one")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<i32> loc("zero")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.AddV2"(%i, [[V0]]) {T = i32} : (tensor<i32>, tensor<i32>) -> tensor<i32> loc("inc")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.GatherV2"(%xs, %i, [[V1]]) {Taxis = i32, Tindices = i32, Tparams = f32, batch_dims = 0} : (tensor<3x2x4xf32>, tensor<i32>, tensor<i32>) -> tensor<2x4xf32> loc("x_t")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.MatMul"([[V3]], %w) {T = f32} : (tensor<2x4xf32>, tensor<4x16xf32>) -> tensor<2x16xf32> loc("input_proj")
// CHECK-NEXT: [[V5:%[0-9]+]] = "tf.MatMul"(%h, %u) {T = f32} : (tensor<2x4xf32>, tensor<4x16xf32>) -> tensor<2x16xf32> loc("recurrent_proj")
// CHECK-NEXT: [[V6:%[0-9]+]] = "tf.AddV2"([[V4]], [[V5]]) {T = f32} : (tensor<2x16xf32>, tensor<2x16xf32>) -> tensor<2x16xf32> loc("z")
// CHECK-NEXT: [[V7:%[0-9]+]]:2 = "tf.PartitionedCall"([[V6]], %c) {Tin = [f32, f32], Tout = [f32, f32], f = @cell} : (tensor<2x16xf32>, tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) loc("cell")
// CHECK-NEXT: return [[V2]], [[V7]]#0, [[V7]]#1, %xs, %w, %u : tensor<i32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<3x2x4xf32>, tensor<4x16xf32>, tensor<4x16xf32>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @cond(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Const"() {dtype = i32, value = dense<3> : tensor<i32>} : () -> tensor<i32> loc("n")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.Less"(%i, [[V0]]) {T = i32} : (tensor<i32>, tensor<i32>) -> tensor<i1> loc("less")
// CHECK-NEXT: return [[V1]] : tensor<i1>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @rnn(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Cast"(%v) {DstT = bf16, SrcT = f32} : (tensor<4x4xf32>) -> tensor<4x4xbf16> loc("v/CastToBF16")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<i32> loc("zero")
// CHECK-NEXT: [[V2:%[0-9]+]]:6 = "tf.StatelessWhile"([[V1]], %h0, %h0, %xs, %w, %u) {T = [i32, f32, f32, f32, f32, f32], body = @body, cond = @cond, parallel_iterations = 10} : (tensor<i32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<3x2x4xf32>, tensor<4x16xf32>, tensor<4x16xf32>) -> (tensor<i32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<3x2x4xf32>, tensor<4x16xf32>, tensor<4x16xf32>) loc("while")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.Cast"([[V2]]#1) {DstT = bf16, SrcT = f32} : (tensor<2x4xf32>) -> tensor<2x4xbf16> loc("while_1/CastToBF16")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.MatMul"([[V3]], [[V0]]) {T = bf16} : (tensor<2x4xbf16>, tensor<4x4xbf16>) -> tensor<2x4xbf16> loc("head")
// CHECK-NEXT: [[V5:%[0-9]+]] = "tf.Cast"([[V4]]) {DstT = f32, SrcT = bf16} : (tensor<2x4xbf16>) -> tensor<2x4xf32> loc("head/CastToF32")
// CHECK-NEXT: return [[V5]] : tensor<2x4xf32>
// CHECK-NEXT: }

func.func @cell(%z: tensor<2x16xf32>, %c: tensor<2x4xf32>) -> (tensor<2x4xf32> {tf.name = "h"}, tensor<2x4xf32> {tf.name = "c"}) {
  %d = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("dim")
  %g:4 = "tf.Split"(%d, %z) {T = f32, num_split = 4 : i64} : (tensor<i32>, tensor<2x16xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) loc("split")
  %i = "tf.Sigmoid"(%g#0) {T = f32} : (tensor<2x4xf32>) -> tensor<2x4xf32> loc("in_gate")
  %f = "tf.Sigmoid"(%g#1) {T = f32} : (tensor<2x4xf32>) -> tensor<2x4xf32> loc("forget_gate")
  %u = "tf.Tanh"(%g#2) {T = f32} : (tensor<2x4xf32>) -> tensor<2x4xf32> loc("update")
  %o = "tf.Sigmoid"(%g#3) {T = f32} : (tensor<2x4xf32>) -> tensor<2x4xf32> loc("out_gate")
  %fc = "tf.Mul"(%f, %c) {T = f32} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32> loc("fc")
  %iu = "tf.Mul"(%i, %u) {T = f32} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32> loc("iu")
  %c2 = "tf.AddV2"(%fc, %iu) {T = f32} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32> loc("c_next")
  %t = "tf.Tanh"(%c2) {T = f32} : (tensor<2x4xf32>) -> tensor<2x4xf32> loc("tanh_c")
  %h2 = "tf.Mul"(%o, %t) {T = f32} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32> loc("h_next")
  return %h2, %c2 : tensor<2x4xf32>, tensor<2x4xf32>
}
func.func @body(%i: tensor<i32>, %h: tensor<2x4xf32>, %c: tensor<2x4xf32>, %xs: tensor<3x2x4xf32>, %w: tensor<4x16xf32>, %u: tensor<4x16xf32>) -> (tensor<i32> {tf.name = "i"}, tensor<2x4xf32> {tf.name = "h"}, tensor<2x4xf32> {tf.name = "c"}, tensor<3x2x4xf32> {tf.name = "xs"}, tensor<4x16xf32> {tf.name = "w"}, tensor<4x16xf32> {tf.name = "u"}) {
  %one = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("one")
  %zero = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<i32> loc("zero")
  %i2 = "tf.AddV2"(%i, %one) {T = i32} : (tensor<i32>, tensor<i32>) -> tensor<i32> loc("inc")
  %x = "tf.GatherV2"(%xs, %i, %zero) {Taxis = i32, Tindices = i32, Tparams = f32, batch_dims = 0 : i64} : (tensor<3x2x4xf32>, tensor<i32>, tensor<i32>) -> tensor<2x4xf32> loc("x_t")
  %zx = "tf.MatMul"(%x, %w) {T = f32} : (tensor<2x4xf32>, tensor<4x16xf32>) -> tensor<2x16xf32> loc("input_proj")
  %zh = "tf.MatMul"(%h, %u) {T = f32} : (tensor<2x4xf32>, tensor<4x16xf32>) -> tensor<2x16xf32> loc("recurrent_proj")
  %z = "tf.AddV2"(%zx, %zh) {T = f32} : (tensor<2x16xf32>, tensor<2x16xf32>) -> tensor<2x16xf32> loc("z")
  %s:2 = "tf.PartitionedCall"(%z, %c) {Tin = [f32, f32], Tout = [f32, f32], f = @cell} : (tensor<2x16xf32>, tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) loc("cell")
  return %i2, %s#0, %s#1, %xs, %w, %u : tensor<i32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<3x2x4xf32>, tensor<4x16xf32>, tensor<4x16xf32>
}
func.func @cond(%i: tensor<i32>, %h: tensor<2x4xf32>, %c: tensor<2x4xf32>, %xs: tensor<3x2x4xf32>, %w: tensor<4x16xf32>, %u: tensor<4x16xf32>) -> (tensor<i1> {tf.name = "c"}) {
  %n = "tf.Const"() {dtype = i32, value = dense<3> : tensor<i32>} : () -> tensor<i32> loc("n")
  %0 = "tf.Less"(%i, %n) {T = i32} : (tensor<i32>, tensor<i32>) -> tensor<i1> loc("less")
  return %0 : tensor<i1>
}
func.func @rnn(%xs: tensor<3x2x4xf32>, %h0: tensor<2x4xf32>, %w: tensor<4x16xf32>, %u: tensor<4x16xf32>, %v: tensor<4x4xf32>) -> (tensor<2x4xf32> {tf.name = "logits"}) attributes {smopt.tpu_function = true} {
  %zero = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<i32> loc("zero")
  %r:6 = "tf.StatelessWhile"(%zero, %h0, %h0, %xs, %w, %u) {T = [i32, f32, f32, f32, f32, f32], body = @body, cond = @cond, parallel_iterations = 10 : i64} : (tensor<i32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<3x2x4xf32>, tensor<4x16xf32>, tensor<4x16xf32>) -> (tensor<i32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<3x2x4xf32>, tensor<4x16xf32>, tensor<4x16xf32>) loc("while")
  %0 = "tf.MatMul"(%r#1, %v) {T = f32} : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32> loc("head")
  return %0 : tensor<2x4xf32>
}

// -----
// Reductions stay float32, and so do the infer/clear ops computed from them up to the next
// MatMul: the whole layer norm (Mean, SquaredDifference, Rsqrt, the normalization and the
// scale) runs in float32 between two bfloat16 MatMuls; the Relu after the second follows it.
// CHECK-LABEL: func.func @layer_norm(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Cast"(%x) {DstT = bf16, SrcT = f32} : (tensor<2x8xf32>) -> tensor<2x8xbf16> loc("x/CastToBF16")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.Cast"(%w1) {DstT = bf16, SrcT = f32} : (tensor<8x8xf32>) -> tensor<8x8xbf16> loc("w1/CastToBF16")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.Cast"(%w2) {DstT = bf16, SrcT = f32} : (tensor<8x8xf32>) -> tensor<8x8xbf16> loc("w2/CastToBF16")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<1xi32>} : () -> tensor<1xi32> loc("axis")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.Const"() {dtype = f32, value = dense<1.0e-05> : tensor<f32>} : () -> tensor<f32> loc("eps")
// CHECK-NEXT: [[V5:%[0-9]+]] = "tf.MatMul"([[V0]], [[V1]]) {T = bf16} : (tensor<2x8xbf16>, tensor<8x8xbf16>) -> tensor<2x8xbf16> loc("mm1")
// CHECK-NEXT: [[V6:%[0-9]+]] = "tf.Cast"([[V5]]) {DstT = f32, SrcT = bf16} : (tensor<2x8xbf16>) -> tensor<2x8xf32> loc("mm1/CastToF32")
// CHECK-NEXT: [[V7:%[0-9]+]] = "tf.Mean"([[V6]], [[V3]]) {T = f32, Tidx = i32, keep_dims = true} : (tensor<2x8xf32>, tensor<1xi32>) -> tensor<2x1xf32> loc("mean")
// CHECK-NEXT: [[V8:%[0-9]+]] = "tf.SquaredDifference"([[V6]], [[V7]]) {T = f32} : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32> loc("sq_diff")
// CHECK-NEXT: [[V9:%[0-9]+]] = "tf.Mean"([[V8]], [[V3]]) {T = f32, Tidx = i32, keep_dims = true} : (tensor<2x8xf32>, tensor<1xi32>) -> tensor<2x1xf32> loc("variance")
// CHECK-NEXT: [[V10:%[0-9]+]] = "tf.AddV2"([[V9]], [[V4]]) {T = f32} : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32> loc("var_eps")
// CHECK-NEXT: [[V11:%[0-9]+]] = "tf.Rsqrt"([[V10]]) {T = f32} : (tensor<2x1xf32>) -> tensor<2x1xf32> loc("rsqrt")
// CHECK-NEXT: [[V12:%[0-9]+]] = "tf.Sub"([[V6]], [[V7]]) {T = f32} : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32> loc("centered")
// CHECK-NEXT: [[V13:%[0-9]+]] = "tf.Mul"([[V12]], [[V11]]) {T = f32} : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32> loc("normalized")
// CHECK-NEXT: [[V14:%[0-9]+]] = "tf.Mul"([[V13]], %gamma) {T = f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32> loc("scaled")
// CHECK-NEXT: [[V15:%[0-9]+]] = "tf.Cast"([[V14]]) {DstT = bf16, SrcT = f32} : (tensor<2x8xf32>) -> tensor<2x8xbf16> loc("scaled/CastToBF16")
// CHECK-NEXT: [[V16:%[0-9]+]] = "tf.MatMul"([[V15]], [[V2]]) {T = bf16} : (tensor<2x8xbf16>, tensor<8x8xbf16>) -> tensor<2x8xbf16> loc("mm2")
// CHECK-NEXT: [[V17:%[0-9]+]] = "tf.Relu"([[V16]]) {T = bf16} : (tensor<2x8xbf16>) -> tensor<2x8xbf16> loc("relu")
// CHECK-NEXT: [[V18:%[0-9]+]] = "tf.Cast"([[V17]]) {DstT = f32, SrcT = bf16} : (tensor<2x8xbf16>) -> tensor<2x8xf32> loc("relu/CastToF32")
// CHECK-NEXT: return [[V18]] : tensor<2x8xf32>
// CHECK-NEXT: }

func.func @layer_norm(%x: tensor<2x8xf32>, %w1: tensor<8x8xf32>, %w2: tensor<8x8xf32>, %gamma: tensor<8xf32>) -> (tensor<2x8xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  %axis = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<1xi32>} : () -> tensor<1xi32> loc("axis")
  %eps = "tf.Const"() {dtype = f32, value = dense<1.0e-5> : tensor<f32>} : () -> tensor<f32> loc("eps")
  %h = "tf.MatMul"(%x, %w1) {T = f32} : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32> loc("mm1")
  %mean = "tf.Mean"(%h, %axis) {T = f32, Tidx = i32, keep_dims = true} : (tensor<2x8xf32>, tensor<1xi32>) -> tensor<2x1xf32> loc("mean")
  %sq = "tf.SquaredDifference"(%h, %mean) {T = f32} : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32> loc("sq_diff")
  %var = "tf.Mean"(%sq, %axis) {T = f32, Tidx = i32, keep_dims = true} : (tensor<2x8xf32>, tensor<1xi32>) -> tensor<2x1xf32> loc("variance")
  %ve = "tf.AddV2"(%var, %eps) {T = f32} : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32> loc("var_eps")
  %r = "tf.Rsqrt"(%ve) {T = f32} : (tensor<2x1xf32>) -> tensor<2x1xf32> loc("rsqrt")
  %d = "tf.Sub"(%h, %mean) {T = f32} : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32> loc("centered")
  %n = "tf.Mul"(%d, %r) {T = f32} : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32> loc("normalized")
  %s = "tf.Mul"(%n, %gamma) {T = f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32> loc("scaled")
  %y = "tf.MatMul"(%s, %w2) {T = f32} : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32> loc("mm2")
  %a = "tf.Relu"(%y) {T = f32} : (tensor<2x8xf32>) -> tensor<2x8xf32> loc("relu")
  return %a : tensor<2x8xf32>
}

// -----
// FFTs stay float32, and so does what comes before them (the window Mul of the float32
// input: an infer op converts only when an input is bfloat16) and after them up to the mel
// MatMul (the power spectrum); Log stays float32, the head MatMul is bfloat16.
// CHECK-LABEL: func.func @log_mel(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Cast"(%mel) {DstT = bf16, SrcT = f32} : (tensor<5x3xf32>) -> tensor<5x3xbf16> loc("mel/CastToBF16")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.Cast"(%w) {DstT = bf16, SrcT = f32} : (tensor<6x4xf32>) -> tensor<6x4xbf16> loc("w/CastToBF16")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.Const"() {dtype = f32, value = dense<[0.0, 0.2, 0.6, 1.0, 1.0, 0.6, 0.2, 0.0]> : tensor<8xf32>} : () -> tensor<8xf32> loc("window")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.Const"() {dtype = i32, value = dense<8> : tensor<1xi32>} : () -> tensor<1xi32> loc("fft_length")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.Const"() {dtype = bf16, value = dense<"0x8635"> : tensor<bf16>} : () -> tensor<bf16> loc("eps")
// CHECK-NEXT: [[V5:%[0-9]+]] = "tf.Const"() {dtype = i32, value = dense<[1, 6]> : tensor<2xi32>} : () -> tensor<2xi32> loc("shape")
// CHECK-NEXT: [[V6:%[0-9]+]] = "tf.Mul"(%frames, [[V2]]) {T = f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32> loc("windowed")
// CHECK-NEXT: [[V7:%[0-9]+]] = "tf.RFFT"([[V6]], [[V3]]) {Tcomplex = complex<f32>, Treal = f32} : (tensor<2x8xf32>, tensor<1xi32>) -> tensor<2x5xcomplex<f32>> loc("rfft")
// CHECK-NEXT: [[V8:%[0-9]+]] = "tf.ComplexAbs"([[V7]]) {T = complex<f32>, Tout = f32} : (tensor<2x5xcomplex<f32>>) -> tensor<2x5xf32> loc("magnitude")
// CHECK-NEXT: [[V9:%[0-9]+]] = "tf.Square"([[V8]]) {T = f32} : (tensor<2x5xf32>) -> tensor<2x5xf32> loc("power")
// CHECK-NEXT: [[V10:%[0-9]+]] = "tf.Cast"([[V9]]) {DstT = bf16, SrcT = f32} : (tensor<2x5xf32>) -> tensor<2x5xbf16> loc("power/CastToBF16")
// CHECK-NEXT: [[V11:%[0-9]+]] = "tf.MatMul"([[V10]], [[V0]]) {T = bf16} : (tensor<2x5xbf16>, tensor<5x3xbf16>) -> tensor<2x3xbf16> loc("mel")
// CHECK-NEXT: [[V12:%[0-9]+]] = "tf.AddV2"([[V11]], [[V4]]) {T = bf16} : (tensor<2x3xbf16>, tensor<bf16>) -> tensor<2x3xbf16> loc("mel_eps")
// CHECK-NEXT: [[V13:%[0-9]+]] = "tf.Cast"([[V12]]) {DstT = f32, SrcT = bf16} : (tensor<2x3xbf16>) -> tensor<2x3xf32> loc("mel_eps/CastToF32")
// CHECK-NEXT: [[V14:%[0-9]+]] = "tf.Log"([[V13]]) {T = f32} : (tensor<2x3xf32>) -> tensor<2x3xf32> loc("log_mel")
// CHECK-NEXT: [[V15:%[0-9]+]] = "tf.Reshape"([[V14]], [[V5]]) {T = f32} : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<1x6xf32> loc("flat")
// CHECK-NEXT: [[V16:%[0-9]+]] = "tf.Cast"([[V15]]) {DstT = bf16, SrcT = f32} : (tensor<1x6xf32>) -> tensor<1x6xbf16> loc("flat/CastToBF16")
// CHECK-NEXT: [[V17:%[0-9]+]] = "tf.MatMul"([[V16]], [[V1]]) {T = bf16} : (tensor<1x6xbf16>, tensor<6x4xbf16>) -> tensor<1x4xbf16> loc("head")
// CHECK-NEXT: [[V18:%[0-9]+]] = "tf.Cast"([[V17]]) {DstT = f32, SrcT = bf16} : (tensor<1x4xbf16>) -> tensor<1x4xf32> loc("head/CastToF32")
// CHECK-NEXT: return [[V18]] : tensor<1x4xf32>
// CHECK-NEXT: }

func.func @log_mel(%frames: tensor<2x8xf32>, %mel: tensor<5x3xf32>, %w: tensor<6x4xf32>) -> (tensor<1x4xf32> {tf.name = "logits"}) attributes {smopt.tpu_function = true} {
  %window = "tf.Const"() {dtype = f32, value = dense<[0.0, 0.2, 0.6, 1.0, 1.0, 0.6, 0.2, 0.0]> : tensor<8xf32>} : () -> tensor<8xf32> loc("window")
  %len = "tf.Const"() {dtype = i32, value = dense<8> : tensor<1xi32>} : () -> tensor<1xi32> loc("fft_length")
  %eps = "tf.Const"() {dtype = f32, value = dense<1.0e-6> : tensor<f32>} : () -> tensor<f32> loc("eps")
  %shape = "tf.Const"() {dtype = i32, value = dense<[1, 6]> : tensor<2xi32>} : () -> tensor<2xi32> loc("shape")
  %0 = "tf.Mul"(%frames, %window) {T = f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32> loc("windowed")
  %1 = "tf.RFFT"(%0, %len) {Tcomplex = complex<f32>, Treal = f32} : (tensor<2x8xf32>, tensor<1xi32>) -> tensor<2x5xcomplex<f32>> loc("rfft")
  %2 = "tf.ComplexAbs"(%1) {T = complex<f32>, Tout = f32} : (tensor<2x5xcomplex<f32>>) -> tensor<2x5xf32> loc("magnitude")
  %3 = "tf.Square"(%2) {T = f32} : (tensor<2x5xf32>) -> tensor<2x5xf32> loc("power")
  %4 = "tf.MatMul"(%3, %mel) {T = f32} : (tensor<2x5xf32>, tensor<5x3xf32>) -> tensor<2x3xf32> loc("mel")
  %5 = "tf.AddV2"(%4, %eps) {T = f32} : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32> loc("mel_eps")
  %6 = "tf.Log"(%5) {T = f32} : (tensor<2x3xf32>) -> tensor<2x3xf32> loc("log_mel")
  %7 = "tf.Reshape"(%6, %shape) {T = f32} : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<1x6xf32> loc("flat")
  %8 = "tf.MatMul"(%7, %w) {T = f32} : (tensor<1x6xf32>, tensor<6x4xf32>) -> tensor<1x4xf32> loc("head")
  return %8 : tensor<1x4xf32>
}

// -----
// A variable is stored as bfloat16 only when some read of it feeds bfloat16 compute: the
// MatMul's kernel is; the scale applied after the Mean (float32) stays float32.
// CHECK: "tf_saved_model.variable"() {checkpoint_key = "kernel/.ATTRIBUTES/VARIABLE_VALUE", {{.*}} type = tensor<2x2xbf16>, {{.*}} : tensor<2x2xbf16>} : () -> ()
// CHECK-NEXT: "tf_saved_model.variable"() {checkpoint_key = "gamma/.ATTRIBUTES/VARIABLE_VALUE", {{.*}} type = tensor<2xf32>, value = dense<[1.1, 0.9]> : tensor<2xf32>} : () -> ()
// CHECK-LABEL: "tf.graph"() ({
// CHECK-NEXT: "tf.VarHandleOp"() {dtype = bf16, shape = #tf_type.shape<2x2>, shared_name = "kernel"}
// CHECK-NEXT: "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2>, shared_name = "gamma"}
// CHECK-LABEL: func.func @tpu(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Cast"(%x) {DstT = bf16, SrcT = f32} : (tensor<2x2xf32>) -> tensor<2x2xbf16> loc("x/CastToBF16")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<1xi32>} : () -> tensor<1xi32> loc("axis")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.ReadVariableOp"(%k) {dtype = bf16} : (tensor<*x!tf_type.resource<tensor<2x2xbf16>>>) -> tensor<2x2xbf16> loc("read_kernel")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.MatMul"([[V0]], [[V2]]) {T = bf16} : (tensor<2x2xbf16>, tensor<2x2xbf16>) -> tensor<2x2xbf16> loc("mm")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.Cast"([[V3]]) {DstT = f32, SrcT = bf16} : (tensor<2x2xbf16>) -> tensor<2x2xf32> loc("mm/CastToF32")
// CHECK-NEXT: [[V5:%[0-9]+]] = "tf.Mean"([[V4]], [[V1]]) {T = f32, Tidx = i32, keep_dims = true} : (tensor<2x2xf32>, tensor<1xi32>) -> tensor<2x1xf32> loc("mean")
// CHECK-NEXT: [[V6:%[0-9]+]] = "tf.Sub"([[V4]], [[V5]]) {T = f32} : (tensor<2x2xf32>, tensor<2x1xf32>) -> tensor<2x2xf32> loc("centered")
// CHECK-NEXT: [[V7:%[0-9]+]] = "tf.ReadVariableOp"(%g) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2xf32>>>) -> tensor<2xf32> loc("read_gamma")
// CHECK-NEXT: [[V8:%[0-9]+]] = "tf.Mul"([[V6]], [[V7]]) {T = f32} : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<2x2xf32> loc("scaled")
// CHECK-NEXT: return [[V8]] : tensor<2x2xf32>
// CHECK-NEXT: }

"tf_saved_model.variable"() {sym_name = "kernel", name = "kernel", checkpoint_key = "kernel/.ATTRIBUTES/VARIABLE_VALUE", node_id = 1, trainable = true, value = dense<[[1.0, 0.1], [-2.5, 3.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
"tf_saved_model.variable"() {sym_name = "gamma", name = "gamma", checkpoint_key = "gamma/.ATTRIBUTES/VARIABLE_VALUE", node_id = 2, trainable = true, value = dense<[1.1, 0.9]> : tensor<2xf32>} : () -> tensor<2xf32>
tf.graph {
  %k = "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2x2>, shared_name = "kernel"} : () -> tensor<!tf_type.resource> loc("kernel")
  %g = "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2>, shared_name = "gamma"} : () -> tensor<!tf_type.resource> loc("gamma")
  %x = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<2x2>} : () -> tensor<2x2xf32> loc("serving_default_x")
  %y = "tf.StatefulPartitionedCall"(%x, %k, %g) {Tin = [f32, !tf_type.resource, !tf_type.resource], Tout = [f32], f = @tpu} : (tensor<2x2xf32>, tensor<!tf_type.resource>, tensor<!tf_type.resource>) -> tensor<2x2xf32> loc("StatefulPartitionedCall")
}
func.func @tpu(%x: tensor<2x2xf32>, %k: tensor<*x!tf_type.resource<tensor<2x2xf32>>> {tf_saved_model.bound_input = 1}, %g: tensor<*x!tf_type.resource<tensor<2xf32>>> {tf_saved_model.bound_input = 2}) -> (tensor<2x2xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true, tf_saved_model.exported = true} {
  %axis = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<1xi32>} : () -> tensor<1xi32> loc("axis")
  %0 = "tf.ReadVariableOp"(%k) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> tensor<2x2xf32> loc("read_kernel")
  %1 = "tf.MatMul"(%x, %0) {T = f32} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> loc("mm")
  %2 = "tf.Mean"(%1, %axis) {T = f32, Tidx = i32, keep_dims = true} : (tensor<2x2xf32>, tensor<1xi32>) -> tensor<2x1xf32> loc("mean")
  %3 = "tf.Sub"(%1, %2) {T = f32} : (tensor<2x2xf32>, tensor<2x1xf32>) -> tensor<2x2xf32> loc("centered")
  %4 = "tf.ReadVariableOp"(%g) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2xf32>>>) -> tensor<2xf32> loc("read_gamma")
  %5 = "tf.Mul"(%3, %4) {T = f32} : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<2x2xf32> loc("scaled")
  return %5 : tensor<2x2xf32>
}

// -----
// Ops whose values only feed shapes decide nothing and stay as they are: tf_keras RNNs
// compute a first step outside the loop only for `zeros_like` of it (the initial output).
// Converting it would store the recurrent kernel in bfloat16 for a value nobody reads.
// Beside it, a MatMul whose value is used converts.
// CHECK-LABEL: func.func @first_step(
// CHECK: "tf.MatMul"(%x, %w) {T = f32} {{.*}} loc("first_step")
// CHECK-NEXT: "tf.Tanh"({{.*}}) {T = f32} {{.*}} loc("first_act")
// CHECK-NEXT: "tf.ZerosLike"({{.*}}) {T = f32} {{.*}} loc("zeros")
// CHECK: "tf.MatMul"({{.*}}) {T = bf16} {{.*}} loc("used")
func.func @first_step(%x: tensor<2x4xf32>, %w: tensor<4x4xf32>, %v: tensor<4x4xf32>) -> (tensor<2x4xf32> {tf.name = "z"}, tensor<2x4xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.MatMul"(%x, %w) {T = f32} : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32> loc("first_step")
  %1 = "tf.Tanh"(%0) {T = f32} : (tensor<2x4xf32>) -> tensor<2x4xf32> loc("first_act")
  %2 = "tf.ZerosLike"(%1) {T = f32} : (tensor<2x4xf32>) -> tensor<2x4xf32> loc("zeros")
  %3 = "tf.MatMul"(%x, %v) {T = f32} : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32> loc("used")
  return %2, %3 : tensor<2x4xf32>, tensor<2x4xf32>
}
