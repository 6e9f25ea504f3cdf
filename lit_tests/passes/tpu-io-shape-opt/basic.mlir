// tpu-io-shape-opt: tensors crossing the CPU -> TPU call boundary travel in dense shapes.
// Rule (see passes/tpu_io_shape_opt.py): for a float/int/bool tensor of rank >= 2 with
// static non-batch dims, fold the non-batch dims ([B, d1, ..., dk] -> [B, d1*...*dk]) or,
// for a fully static shape with 128 | N elements, [N/128, 128], when that strictly lowers the
// number of elements its (8, 128) tiling occupies. Reshapes are exact.
// RUN: smopt %s --split-input-file -p tpu-io-shape-opt | filecheck %s
// RUN: smopt %s --split-input-file -p tpu-io-shape-opt --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=STATS

// Dynamic batch: x [?, 4, 32] (per row 8*128 tiled elements) -> [?, 128]; y [?, 4, 8] ->
// [?, 32]; the rank-2 result s [?, 4] cannot get denser without merging batch rows. The TPU
// function has no other user, so it changes in place (and its _input_shapes with it); the
// caller reshapes around the call and still sees the old types.
func.func @tpu(%x: tensor<?x4x32xf32> {_user_specified_name = "x"}, %w: tensor<*x!tf_type.resource<tensor<32x8xf32>>>) -> (tensor<?x4x8xf32> {tf.name = "y"}, tensor<?x4xf32> {tf.name = "s"}) attributes {_input_shapes = [#tf_type.shape<?x4x32>, #tf_type.shape<>], smopt.tpu_function = true} {
  %0 = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<32x8xf32>>>) -> tensor<32x8xf32> loc("read")
  %1 = "tf.Einsum"(%x, %0) {N = 2, T = f32, equation = "bij,jk->bik"} : (tensor<?x4x32xf32>, tensor<32x8xf32>) -> tensor<?x4x8xf32> loc("einsum")
  %2 = "tf.Const"() {dtype = i32, value = dense<2> : tensor<i32>} : () -> tensor<i32> loc("axis")
  %3 = "tf.Sum"(%1, %2) {T = f32, Tidx = i32} : (tensor<?x4x8xf32>, tensor<i32>) -> tensor<?x4xf32> loc("sum")
  return %1, %3 : tensor<?x4x8xf32>, tensor<?x4xf32>
}
func.func @serve(%x: tensor<?x4x32xf32>, %w: tensor<*x!tf_type.resource<tensor<32x8xf32>>>) -> (tensor<?x4x8xf32> {tf.name = "y"}, tensor<?x4xf32> {tf.name = "s"}) {
  %0:2, %ctl = "tf.StatefulPartitionedCall"(%x, %w) {Tin = [f32, !tf_type.resource], Tout = [f32, f32], f = @tpu} : (tensor<?x4x32xf32>, tensor<*x!tf_type.resource<tensor<32x8xf32>>>) -> (tensor<?x4x8xf32>, tensor<?x4xf32>, !tf_executor.control) loc("call")
  %1 = "tf.Relu"(%0#0) {T = f32} : (tensor<?x4x8xf32>) -> tensor<?x4x8xf32> loc("relu")
  return %1, %0#1, %ctl : tensor<?x4x8xf32>, tensor<?x4xf32>, !tf_executor.control
}
// CHECK-LABEL: func.func @tpu(%x: tensor<?x128xf32> {tf._user_specified_name = "x"} loc("x"), %w: tensor<*x!tf_type.resource<tensor<32x8xf32>>> loc("w")) -> (tensor<?x32xf32> {tf.name = "y"}, tensor<?x4xf32> {tf.name = "s"}) attributes {_input_shapes = [#tf_type.shape<?x128>, #tf_type.shape<>], smopt.tpu_function = true} {
// CHECK-NEXT: %0 = "tf.Const"() {dtype = i32, value = dense<[-1, 4, 32]> : tensor<3xi32>} : () -> tensor<3xi32> loc("io_shape/x/shape")
// CHECK-NEXT: %1 = "tf.Reshape"(%x, %0) {T = f32, Tshape = i32} : (tensor<?x128xf32>, tensor<3xi32>) -> tensor<?x4x32xf32> loc("io_shape/x")
// CHECK-NEXT: %2 = "tf.ReadVariableOp"(%w)
// CHECK-NEXT: %3 = "tf.Einsum"(%1, %2)
// CHECK-NEXT: %4 = "tf.Const"()
// CHECK-NEXT: %5 = "tf.Sum"(%3, %4)
// CHECK-NEXT: %6 = "tf.Const"() {dtype = i32, value = dense<[-1, 32]> : tensor<2xi32>} : () -> tensor<2xi32> loc("io_shape/y/shape")
// CHECK-NEXT: %7 = "tf.Reshape"(%3, %6) {T = f32, Tshape = i32} : (tensor<?x4x8xf32>, tensor<2xi32>) -> tensor<?x32xf32> loc("io_shape/y")
// CHECK-NEXT: return %7, %5 : tensor<?x32xf32>, tensor<?x4xf32>
// CHECK-LABEL: func.func @serve(
// CHECK-NEXT: %0 = "tf.Const"() {dtype = i32, value = dense<[-1, 128]> : tensor<2xi32>} : () -> tensor<2xi32> loc("call_io_shape/x/shape")
// CHECK-NEXT: %1 = "tf.Reshape"(%x, %0) {T = f32, Tshape = i32} : (tensor<?x4x32xf32>, tensor<2xi32>) -> tensor<?x128xf32> loc("call_io_shape/x")
// CHECK-NEXT: %2:2, %ctl_0 = "tf.StatefulPartitionedCall"(%1, %w) {Tin = [f32, !tf_type.resource], Tout = [f32, f32], f = @tpu} : (tensor<?x128xf32>, tensor<*x!tf_type.resource<tensor<32x8xf32>>>) -> (tensor<?x32xf32>, tensor<?x4xf32>, !tf_executor.control) loc("call")
// CHECK-NEXT: %3 = "tf.Const"() {dtype = i32, value = dense<[-1, 4, 8]> : tensor<3xi32>} : () -> tensor<3xi32> loc("call_io_shape/y/shape")
// CHECK-NEXT: %4 = "tf.Reshape"(%2#0, %3) {T = f32, Tshape = i32} : (tensor<?x32xf32>, tensor<3xi32>) -> tensor<?x4x8xf32> loc("call_io_shape/y")
// CHECK-NEXT: %5 = "tf.Relu"(%4)
// CHECK-NEXT: return %5, %2#1, %ctl_0

// STATS: TpuIoShapeOpt
// STATS-NEXT: 1 num-reshaped-args
// STATS-NEXT: 1 num-reshaped-results
// STATS-NEXT: 0 num-cloned

// -----
// Fully static shapes: [2, 16, 12] (384 elements) -> [3, 128] (dense) rather than [2, 192]
// (rows padded to 8); [8, 16, 8] -> [8, 128] (both candidates cost the same: the batch
// dimension is kept); [2, 3, 4] -> [2, 12]; [4, 10] has no denser candidate. int32 and bool
// tensors qualify too; a direct call (op named after the function) is rewritten alike.
func.func @tpu_static(%a: tensor<2x16x12xf32>, %b: tensor<8x16x8xi32>, %c: tensor<2x3x4xi1>, %d: tensor<4x10xf32>) -> (tensor<2x16x12xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  return %a : tensor<2x16x12xf32>
}
func.func @caller(%a: tensor<2x16x12xf32>, %b: tensor<8x16x8xi32>, %c: tensor<2x3x4xi1>, %d: tensor<4x10xf32>) -> (tensor<2x16x12xf32> {tf.name = "r"}) {
  %0 = "tf.tpu_static"(%a, %b, %c, %d) : (tensor<2x16x12xf32>, tensor<8x16x8xi32>, tensor<2x3x4xi1>, tensor<4x10xf32>) -> tensor<2x16x12xf32> loc("direct")
  return %0 : tensor<2x16x12xf32>
}
// CHECK-LABEL: func.func @tpu_static(%a: tensor<3x128xf32> loc("a"), %b: tensor<8x128xi32> loc("b"), %c: tensor<2x12xi1> loc("c"), %d: tensor<4x10xf32> loc("d")) -> (tensor<3x128xf32> {tf.name = "r"})
// CHECK-NEXT: "tf.Const"() {dtype = i32, value = dense<[2, 16, 12]> : tensor<3xi32>}
// CHECK-NEXT: %1 = "tf.Reshape"(%a, %0) {T = f32, Tshape = i32} : (tensor<3x128xf32>, tensor<3xi32>) -> tensor<2x16x12xf32> loc("io_shape/a")
// CHECK-NEXT: "tf.Const"() {dtype = i32, value = dense<[8, 16, 8]> : tensor<3xi32>}
// CHECK-NEXT: "tf.Reshape"(%b, %2) {T = i32, Tshape = i32} : (tensor<8x128xi32>, tensor<3xi32>) -> tensor<8x16x8xi32> loc("io_shape/b")
// CHECK-NEXT: "tf.Const"() {dtype = i32, value = dense<[2, 3, 4]> : tensor<3xi32>}
// CHECK-NEXT: "tf.Reshape"(%c, %4) {T = i1, Tshape = i32} : (tensor<2x12xi1>, tensor<3xi32>) -> tensor<2x3x4xi1> loc("io_shape/c")
// CHECK-NEXT: "tf.Const"() {dtype = i32, value = dense<[3, 128]> : tensor<2xi32>}
// CHECK-NEXT: %7 = "tf.Reshape"(%1, %6) {T = f32, Tshape = i32} : (tensor<2x16x12xf32>, tensor<2xi32>) -> tensor<3x128xf32> loc("io_shape/r")
// CHECK-NEXT: return %7 : tensor<3x128xf32>
// CHECK-LABEL: func.func @caller(
// CHECK-NEXT: "tf.Const"() {dtype = i32, value = dense<[3, 128]> : tensor<2xi32>} : () -> tensor<2xi32> loc("direct_io_shape/a/shape")
// CHECK-NEXT: %1 = "tf.Reshape"(%a, %0) {{.*}} -> tensor<3x128xf32> loc("direct_io_shape/a")
// CHECK-NEXT: "tf.Const"() {dtype = i32, value = dense<[8, 128]> : tensor<2xi32>}
// CHECK-NEXT: %3 = "tf.Reshape"(%b, %2) {{.*}} -> tensor<8x128xi32>
// CHECK-NEXT: "tf.Const"() {dtype = i32, value = dense<[2, 12]> : tensor<2xi32>}
// CHECK-NEXT: %5 = "tf.Reshape"(%c, %4) {{.*}} -> tensor<2x12xi1>
// CHECK-NEXT: %6 = "tf.tpu_static"(%1, %3, %5, %d) : (tensor<3x128xf32>, tensor<8x128xi32>, tensor<2x12xi1>, tensor<4x10xf32>) -> tensor<3x128xf32> loc("direct")
// CHECK-NEXT: "tf.Const"() {dtype = i32, value = dense<[2, 16, 12]> : tensor<3xi32>}
// CHECK-NEXT: %8 = "tf.Reshape"(%6, %7) {{.*}} -> tensor<2x16x12xf32> loc("direct_io_shape/r")
// CHECK-NEXT: return %8

// STATS: 3 num-reshaped-args
// STATS-NEXT: 1 num-reshaped-results

// -----
// Other users keep the original signature: the TPU function is aliased and exported, and a
// second TPU function calls it. The CPU call site gets a clone @<name>_io.
"tf_saved_model.alias"() {sym_name = "tpu_func", function = @tpu} : () -> ()
func.func @tpu(%x: tensor<?x3x5xf32>) -> (tensor<?x3x5xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true, tf_saved_model.exported = true} {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<?x3x5xf32>) -> tensor<?x3x5xf32> loc("neg")
  return %0 : tensor<?x3x5xf32>
}
func.func @tpu_outer(%x: tensor<?x3x5xf32>) -> (tensor<?x3x5xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @tpu} : (tensor<?x3x5xf32>) -> tensor<?x3x5xf32> loc("tpu_to_tpu")
  return %0 : tensor<?x3x5xf32>
}
func.func @serve(%x: tensor<?x3x5xf32>) -> (tensor<?x3x5xf32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @tpu} : (tensor<?x3x5xf32>) -> tensor<?x3x5xf32> loc("call")
  return %0 : tensor<?x3x5xf32>
}
// CHECK-LABEL: func.func @tpu(%x: tensor<?x3x5xf32> loc("x")) -> (tensor<?x3x5xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true, tf_saved_model.exported = true} {
// CHECK-NEXT: "tf.Neg"(%x)
// CHECK-LABEL: func.func @tpu_outer(
// CHECK-NEXT: "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @tpu} : (tensor<?x3x5xf32>) -> tensor<?x3x5xf32>
// CHECK-LABEL: func.func @serve(
// CHECK-NEXT: "tf.Const"() {dtype = i32, value = dense<[-1, 15]> : tensor<2xi32>}
// CHECK-NEXT: "tf.Reshape"
// CHECK-NEXT: %2 = "tf.PartitionedCall"(%1) {Tin = [f32], Tout = [f32], f = @tpu_io} : (tensor<?x15xf32>) -> tensor<?x15xf32> loc("call")
// CHECK-LABEL: func.func @tpu_io(%x: tensor<?x15xf32> loc("x")) -> (tensor<?x15xf32> {tf.name = "r"}) attributes {smopt.io_shape_clone_of = "tpu", smopt.tpu_function = true} {
// CHECK-NEXT: "tf.Const"() {dtype = i32, value = dense<[-1, 3, 5]> : tensor<3xi32>}
// CHECK-NEXT: %1 = "tf.Reshape"(%x, %0)
// CHECK-NEXT: %2 = "tf.Neg"(%1)

// STATS: 1 num-reshaped-args
// STATS-NEXT: 1 num-reshaped-results
// STATS-NEXT: 1 num-cloned

// -----
// No-ops: already dense ([?, 8, 128], [?, 256]), a dynamic non-batch dim, unknown rank,
// rank 1, scalars, strings, resources, quantized types; TPU -> TPU calls and calls from the
// main graph are not a CPU/TPU boundary this pass rewrites.
tf.graph {
  %0 = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<?x2x3>} : () -> tensor<?x2x3xf32> loc("x")
  %1 = "tf.PartitionedCall"(%0) {Tin = [f32], Tout = [f32], f = @tpu_g} : (tensor<?x2x3xf32>) -> tensor<?x2x3xf32> loc("graph_call")
}
func.func @tpu_g(%x: tensor<?x2x3xf32>) -> (tensor<?x2x3xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  return %x : tensor<?x2x3xf32>
}
func.func @tpu_n(%a: tensor<?x8x128xf32>, %b: tensor<?x256xf32>, %c: tensor<?x?x3xf32>, %d: tensor<*xf32>, %e: tensor<7xf32>, %f: tensor<f32>, %g: tensor<?x2x3x!tf_type.string>, %h: tensor<!tf_type.resource>, %q: tensor<?x2x3x!quant.uniform<i8:f32, 0.5:-3>>) -> (tensor<?x8x128xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.PartitionedCall"(%c) {Tin = [f32], Tout = [f32], f = @tpu_inner} : (tensor<?x?x3xf32>) -> tensor<?x?x3xf32> loc("tpu_to_tpu")
  return %a : tensor<?x8x128xf32>
}
func.func @tpu_inner(%x: tensor<?x2x3xf32>) -> (tensor<?x2x3xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  return %x : tensor<?x2x3xf32>
}
func.func @cpu(%a: tensor<?x8x128xf32>, %b: tensor<?x256xf32>, %c: tensor<?x?x3xf32>, %d: tensor<*xf32>, %e: tensor<7xf32>, %f: tensor<f32>, %g: tensor<?x2x3x!tf_type.string>, %h: tensor<!tf_type.resource>, %q: tensor<?x2x3x!quant.uniform<i8:f32, 0.5:-3>>) -> (tensor<?x8x128xf32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%a, %b, %c, %d, %e, %f, %g, %h, %q) {Tin = [f32, f32, f32, f32, f32, f32, !tf_type.string, !tf_type.resource, !tf_type.qint8], Tout = [f32], f = @tpu_n} : (tensor<?x8x128xf32>, tensor<?x256xf32>, tensor<?x?x3xf32>, tensor<*xf32>, tensor<7xf32>, tensor<f32>, tensor<?x2x3x!tf_type.string>, tensor<!tf_type.resource>, tensor<?x2x3x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<?x8x128xf32> loc("call")
  return %0 : tensor<?x8x128xf32>
}
// CHECK: "tf.graph"() ({
// CHECK-NEXT: "tf.Placeholder"
// CHECK-NEXT: "tf.PartitionedCall"(%0) {Tin = [f32], Tout = [f32], f = @tpu_g} : (tensor<?x2x3xf32>) -> tensor<?x2x3xf32> loc("graph_call")
// CHECK-LABEL: func.func @tpu_g(%x: tensor<?x2x3xf32> loc("x"))
// CHECK-LABEL: func.func @tpu_n(%a: tensor<?x8x128xf32> loc("a"), %b: tensor<?x256xf32> loc("b"), %c: tensor<?x?x3xf32> loc("c"), %d: tensor<*xf32> loc("d"), %e: tensor<7xf32> loc("e"), %f: tensor<f32> loc("f"), %g: tensor<?x2x3x!tf_type.string> loc("g"), %h: tensor<!tf_type.resource> loc("h"), %q: tensor<?x2x3x!quant.uniform<i8:f32, 0.5:-3>> loc("q")) -> (tensor<?x8x128xf32> {tf.name = "r"})
// CHECK-NEXT: "tf.PartitionedCall"(%c)
// CHECK-LABEL: func.func @tpu_inner(%x: tensor<?x2x3xf32> loc("x"))
// CHECK-LABEL: func.func @cpu(
// CHECK-NEXT: %0 = "tf.PartitionedCall"(%a, %b, %c, %d, %e, %f, %g, %h, %q)
// CHECK-NEXT: return %0

// STATS: 0 num-reshaped-args
// STATS-NEXT: 0 num-reshaped-results
// STATS-NEXT: 0 num-cloned
