// RUN: smopt %s -p bf16-convert | filecheck %s
// RUN: smopt %s -p bf16-convert --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=STATS

// Function signatures. @helper is only called through PartitionedCall from the TPU
// function: its argument %a feeds a MatMul and becomes bfloat16, %b only feeds Exp (kept
// float32) and stays float32, result #0 is bfloat16; the call's Tin/Tout and types follow.
// While bodies/conds and If branches keep their float32 signatures (their callers'
// T/Tin/Tout lists are the loop's contract) and cast inside; so does @shared_helper, which
// CPU code calls too, and the TPU functions themselves. The AddV2 of the helper's results
// stays float32: #1 comes from a kept op (Exp) across the call. The loop body computes the
// loop's state and stays float32; so does the Relu of the loop's float32 result.
// STATS: (S) 1 num-signatures-converted

func.func @helper(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>, %n: tensor<i32>) -> (tensor<4x4xf32> {tf.name = "r"}, tensor<4x4xf32> {tf.name = "e"}) {
  %0 = "tf.MatMul"(%a, %a) {T = f32} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("sq")
  %1 = "tf.Exp"(%b) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("exp")
  return %0, %1 : tensor<4x4xf32>, tensor<4x4xf32>
}
func.func @body(%i: tensor<i32>, %x: tensor<4x4xf32>) -> (tensor<i32> {tf.name = "i"}, tensor<4x4xf32> {tf.name = "x"}) {
  %one = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("one")
  %0 = "tf.AddV2"(%i, %one) {T = i32} : (tensor<i32>, tensor<i32>) -> tensor<i32> loc("inc")
  %1 = "tf.Tanh"(%x) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("tanh")
  return %0, %1 : tensor<i32>, tensor<4x4xf32>
}
func.func @cond(%i: tensor<i32>, %x: tensor<4x4xf32>) -> (tensor<i1> {tf.name = "c"}) {
  %three = "tf.Const"() {dtype = i32, value = dense<3> : tensor<i32>} : () -> tensor<i32> loc("three")
  %0 = "tf.Less"(%i, %three) {T = i32} : (tensor<i32>, tensor<i32>) -> tensor<i1> loc("less")
  return %0 : tensor<i1>
}
func.func @tpu(%x: tensor<4x4xf32>) -> (tensor<4x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.MatMul"(%x, %x) {T = f32} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("mm")
  %n = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<i32> loc("n")
  %1:2 = "tf.PartitionedCall"(%0, %0, %n) {Tin = [f32, f32, i32], Tout = [f32, f32], f = @helper} : (tensor<4x4xf32>, tensor<4x4xf32>, tensor<i32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) loc("call")
  %2 = "tf.AddV2"(%1#0, %1#1) {T = f32} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("add")
  %3:2 = "tf.While"(%n, %2) {T = [i32, f32], body = @body, cond = @cond, parallel_iterations = 10 : i64} : (tensor<i32>, tensor<4x4xf32>) -> (tensor<i32>, tensor<4x4xf32>) loc("while")
  %4 = "tf.Relu"(%3#1) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("relu2")
  return %4 : tensor<4x4xf32>
}
func.func @shared_helper(%a: tensor<4x4xf32>) -> (tensor<4x4xf32> {tf.name = "r"}) {
  %0 = "tf.MatMul"(%a, %a) {T = f32} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("mm")
  return %0 : tensor<4x4xf32>
}
func.func @then(%a: tensor<4x4xf32>) -> (tensor<4x4xf32> {tf.name = "r"}) {
  %0 = "tf.BatchMatMulV2"(%a, %a) {T = f32} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("bmm")
  return %0 : tensor<4x4xf32>
}
func.func @else(%a: tensor<4x4xf32>) -> (tensor<4x4xf32> {tf.name = "r"}) {
  return %a : tensor<4x4xf32>
}
func.func @tpu2(%x: tensor<4x4xf32>, %p: tensor<i1>) -> (tensor<4x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.MatMul"(%x, %x) {T = f32} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("mm")
  %1 = "tf.StatefulPartitionedCall"(%0) {Tin = [f32], Tout = [f32], f = @shared_helper} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("call_shared")
  %2 = "tf.If"(%p, %1) {Tcond = i1, Tin = [f32], Tout = [f32], then_branch = @then, else_branch = @else, is_stateless = true} : (tensor<i1>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("if")
  return %2 : tensor<4x4xf32>
}
func.func @cpu(%x: tensor<4x4xf32>) -> (tensor<4x4xf32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @shared_helper} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("cpu_call")
  return %0 : tensor<4x4xf32>
}

// CHECK-LABEL: func.func @helper(%a: tensor<4x4xbf16> loc("a"), %b: tensor<4x4xf32> loc("b"), %n: tensor<i32> loc("n")) -> (tensor<4x4xbf16> {tf.name = "r"}, tensor<4x4xf32> {tf.name = "e"}) {
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.MatMul"(%a, %a) {T = bf16} : (tensor<4x4xbf16>, tensor<4x4xbf16>) -> tensor<4x4xbf16> loc("sq")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.Exp"(%b) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("exp")
// CHECK-NEXT: return [[V0]], [[V1]] : tensor<4x4xbf16>, tensor<4x4xf32>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @body(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("one")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.AddV2"(%i, [[V0]]) {T = i32} : (tensor<i32>, tensor<i32>) -> tensor<i32> loc("inc")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.Tanh"(%x) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("tanh")
// CHECK-NEXT: return [[V1]], [[V2]] : tensor<i32>, tensor<4x4xf32>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @cond(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Const"() {dtype = i32, value = dense<3> : tensor<i32>} : () -> tensor<i32> loc("three")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.Less"(%i, [[V0]]) {T = i32} : (tensor<i32>, tensor<i32>) -> tensor<i1> loc("less")
// CHECK-NEXT: return [[V1]] : tensor<i1>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @tpu(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Cast"(%x) {DstT = bf16, SrcT = f32} : (tensor<4x4xf32>) -> tensor<4x4xbf16> loc("x/CastToBF16")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.MatMul"([[V0]], [[V0]]) {T = bf16} : (tensor<4x4xbf16>, tensor<4x4xbf16>) -> tensor<4x4xbf16> loc("mm")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.Cast"([[V1]]) {DstT = f32, SrcT = bf16} : (tensor<4x4xbf16>) -> tensor<4x4xf32> loc("mm/CastToF32")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<i32> loc("n")
// CHECK-NEXT: [[V4:%[0-9]+]]:2 = "tf.PartitionedCall"([[V1]], [[V2]], [[V3]]) {Tin = [bf16, f32, i32], Tout = [bf16, f32], f = @helper} : (tensor<4x4xbf16>, tensor<4x4xf32>, tensor<i32>) -> (tensor<4x4xbf16>, tensor<4x4xf32>) loc("call")
// CHECK-NEXT: [[V5:%[0-9]+]] = "tf.Cast"([[V4]]#0) {DstT = f32, SrcT = bf16} : (tensor<4x4xbf16>) -> tensor<4x4xf32> loc("call/CastToF32")
// CHECK-NEXT: [[V6:%[0-9]+]] = "tf.AddV2"([[V5]], [[V4]]#1) {T = f32} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("add")
// CHECK-NEXT: [[V7:%[0-9]+]]:2 = "tf.While"([[V3]], [[V6]]) {T = [i32, f32], body = @body, cond = @cond, parallel_iterations = 10} : (tensor<i32>, tensor<4x4xf32>) -> (tensor<i32>, tensor<4x4xf32>) loc("while")
// CHECK-NEXT: [[V8:%[0-9]+]] = "tf.Relu"([[V7]]#1) {T = f32} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("relu2")
// CHECK-NEXT: return [[V8]] : tensor<4x4xf32>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @shared_helper(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Cast"(%a) {DstT = bf16, SrcT = f32} : (tensor<4x4xf32>) -> tensor<4x4xbf16> loc("a/CastToBF16")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.MatMul"([[V0]], [[V0]]) {T = bf16} : (tensor<4x4xbf16>, tensor<4x4xbf16>) -> tensor<4x4xbf16> loc("mm")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.Cast"([[V1]]) {DstT = f32, SrcT = bf16} : (tensor<4x4xbf16>) -> tensor<4x4xf32> loc("mm/CastToF32")
// CHECK-NEXT: return [[V2]] : tensor<4x4xf32>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @then(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Cast"(%a) {DstT = bf16, SrcT = f32} : (tensor<4x4xf32>) -> tensor<4x4xbf16> loc("a/CastToBF16")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.BatchMatMulV2"([[V0]], [[V0]]) {T = bf16} : (tensor<4x4xbf16>, tensor<4x4xbf16>) -> tensor<4x4xbf16> loc("bmm")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.Cast"([[V1]]) {DstT = f32, SrcT = bf16} : (tensor<4x4xbf16>) -> tensor<4x4xf32> loc("bmm/CastToF32")
// CHECK-NEXT: return [[V2]] : tensor<4x4xf32>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @else(
// CHECK-NEXT: return %a : tensor<4x4xf32>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @tpu2(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Cast"(%x) {DstT = bf16, SrcT = f32} : (tensor<4x4xf32>) -> tensor<4x4xbf16> loc("x/CastToBF16")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.MatMul"([[V0]], [[V0]]) {T = bf16} : (tensor<4x4xbf16>, tensor<4x4xbf16>) -> tensor<4x4xbf16> loc("mm")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.Cast"([[V1]]) {DstT = f32, SrcT = bf16} : (tensor<4x4xbf16>) -> tensor<4x4xf32> loc("mm/CastToF32")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.StatefulPartitionedCall"([[V2]]) {Tin = [f32], Tout = [f32], f = @shared_helper} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("call_shared")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.If"(%p, [[V3]]) {Tcond = i1, Tin = [f32], Tout = [f32], else_branch = @else, is_stateless = true, then_branch = @then} : (tensor<i1>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("if")
// CHECK-NEXT: return [[V4]] : tensor<4x4xf32>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @cpu(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @shared_helper} : (tensor<4x4xf32>) -> tensor<4x4xf32> loc("cpu_call")
// CHECK-NEXT: return [[V0]] : tensor<4x4xf32>
// CHECK-NEXT: }
