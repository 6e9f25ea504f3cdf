// --elide-operands-larger-than N: operand, argument, result and type lists and list
// attributes longer than N print their first N entries and `... K more`, so that a call with
// hundreds of resource operands (a Keras model's variables) stays one readable line. The
// elided text is for reading: like elided constants, it does not parse back.
// RUN: smopt %s --elide-operands-larger-than 2 | filecheck %s
// RUN: smopt %s --elide-operands-larger-than 2 -p dce --print-ir-after=dce -o /dev/null 2>&1 | filecheck %s --check-prefix=DUMP
// With --print-ir-function the dump keeps the module header and the selected functions, elided.
// RUN: smopt %s --elide-operands-larger-than 2 -p dce --print-ir-after=dce --print-ir-function='^serve$' -o /dev/null 2>&1 | filecheck %s --check-prefix=FILTERED
// RUN: smopt %s --elide-operands-larger-than 2 > %t.mlir
// RUN: not smopt %t.mlir 2>&1 | filecheck %s --check-prefix=REPARSE
// RUN: smopt %s --elide-operands-larger-than 8 | filecheck %s --check-prefix=SHORT
// RUN: not smopt %s --elide-operands-larger-than -1 2>&1 | filecheck %s --check-prefix=NEG

// CHECK-LABEL: func.func @serve(%x: tensor<?x4xf32> loc("x"), %w0: tensor<!tf_type.resource<tensor<4x4xf32>>> loc("w0"), ... 4 more) -> (tensor<?x4xf32> {tf.name = "y"}) {
// CHECK-NEXT: %0:3 = "tf.StatefulPartitionedCall"(%x, %w0, ... 4 more) {Tin = [f32, !tf_type.resource, ... 4 more], Tout = [f32, f32, ... 1 more], _read_only_resource_inputs = [1, 2, ... 3 more], f = @inner} : (tensor<?x4xf32>, tensor<!tf_type.resource<tensor<4x4xf32>>>, ... 4 more) -> (tensor<?x4xf32>, tensor<?x4xf32>, ... 1 more) loc("call")
// CHECK-NEXT: return %0#1 : tensor<?x4xf32>
// CHECK-LABEL: func.func @inner(
// CHECK-SAME: ... 4 more) -> (tensor<?x4xf32> {tf.name = "y"}, tensor<?x4xf32> {tf.name = "z"}, ... 1 more) {
// CHECK: return %{{[0-9]+}}, %{{[0-9]+}}, ... 1 more : tensor<?x4xf32>, tensor<?x4xf32>, ... 1 more

// DUMP: IR Dump After DCE (dce)
// DUMP: "tf.StatefulPartitionedCall"(%x, %w0, ... 4 more)

// FILTERED: // -----// IR Dump After DCE (dce) //----- //
// FILTERED-NEXT: module {
// FILTERED-NEXT: func.func @serve(%x: tensor<?x4xf32> loc("x"), %w0: tensor<!tf_type.resource<tensor<4x4xf32>>> loc("w0"), ... 4 more) -> (tensor<?x4xf32> {tf.name = "y"}) {
// FILTERED-NEXT: %0:3 = "tf.StatefulPartitionedCall"(%x, %w0, ... 4 more)
// FILTERED-NOT: func.func @inner

// REPARSE: elide-operands.mlir.tmp.mlir:{{[0-9]+}}:{{[0-9]+}}: error: this list was elided by --elide-operands-larger-than; print without it to get parseable IR

// SHORT: "tf.StatefulPartitionedCall"(%x, %w0, %w1, %w2, %w3, %w4) {Tin = [f32, !tf_type.resource, !tf_type.resource, !tf_type.resource, !tf_type.resource, !tf_type.resource]

// NEG: error: argument --elide-operands-larger-than: expected a non-negative integer, got '-1'

func.func @serve(%x: tensor<?x4xf32>, %w0: tensor<!tf_type.resource<tensor<4x4xf32>>>, %w1: tensor<!tf_type.resource<tensor<4x4xf32>>>, %w2: tensor<!tf_type.resource<tensor<4x4xf32>>>, %w3: tensor<!tf_type.resource<tensor<4x4xf32>>>, %w4: tensor<!tf_type.resource<tensor<4x4xf32>>>) -> (tensor<?x4xf32> {tf.name = "y"}) {
  %0:3 = "tf.StatefulPartitionedCall"(%x, %w0, %w1, %w2, %w3, %w4) {Tin = [f32, !tf_type.resource, !tf_type.resource, !tf_type.resource, !tf_type.resource, !tf_type.resource], Tout = [f32, f32, f32], _read_only_resource_inputs = [1, 2, 3, 4, 5], f = @inner} : (tensor<?x4xf32>, tensor<!tf_type.resource<tensor<4x4xf32>>>, tensor<!tf_type.resource<tensor<4x4xf32>>>, tensor<!tf_type.resource<tensor<4x4xf32>>>, tensor<!tf_type.resource<tensor<4x4xf32>>>, tensor<!tf_type.resource<tensor<4x4xf32>>>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) loc("call")
  return %0#1 : tensor<?x4xf32>
}
func.func @inner(%x: tensor<?x4xf32>, %w0: tensor<!tf_type.resource<tensor<4x4xf32>>>, %w1: tensor<!tf_type.resource<tensor<4x4xf32>>>, %w2: tensor<!tf_type.resource<tensor<4x4xf32>>>, %w3: tensor<!tf_type.resource<tensor<4x4xf32>>>, %w4: tensor<!tf_type.resource<tensor<4x4xf32>>>) -> (tensor<?x4xf32> {tf.name = "y"}, tensor<?x4xf32> {tf.name = "z"}, tensor<?x4xf32> {tf.name = "u"}) {
  %0 = "tf.ReadVariableOp"(%w0) {dtype = f32} : (tensor<!tf_type.resource<tensor<4x4xf32>>>) -> tensor<4x4xf32> loc("r0")
  %1 = "tf.MatMul"(%x, %0) {T = f32} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("mm")
  return %1, %1, %1 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}
