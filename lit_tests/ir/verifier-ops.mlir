// Ops are checked against TensorFlow's op definitions and, for the ops of ir/shapes.py,
// their shape rules. One broken op per module; the first problem is reported.
// RUN: not smopt %s --split-input-file 2>&1 | filecheck %s
// A custom op is known once SMOPT_OP_DEFS_FILE (or the SavedModel's stripped_op_list) declares it.
// RUN: echo '{"MyOp": {"inputs": [{"name": "x", "type_attr": "T"}], "outputs": [{"name": "y", "type_attr": "T"}], "attrs": {"T": "type"}}}' > %t.json
// RUN: not env SMOPT_OP_DEFS_FILE=%t.json smopt %s --split-input-file 2>&1 | filecheck %s --check-prefix=DEFS

func.func @count(%x: tensor<2x3xi8>, %y: tensor<3x4xi8>, %z: tensor<4xi8>) -> (tensor<2x4xf32> {tf.name = "r"}) {
  // CHECK: verifier-ops.mlir:10:3: error: 'tf.MatMul' op has 3 operands, but its op definition gives 2 (a, b)
  %0 = "tf.MatMul"(%x, %y, %z) {T = f32} : (tensor<2x3xi8>, tensor<3x4xi8>, tensor<4xi8>) -> tensor<2x4xf32> loc("mm")
  return %0 : tensor<2x4xf32>
}

// -----
func.func @operand_type(%x: tensor<2x3xi8>, %y: tensor<3x4xf32>) -> (tensor<2x4xf32> {tf.name = "r"}) {
  // CHECK: error: 'tf.MatMul' op operand #0 ('a') has element type i8, but the op definition requires f32
  %0 = "tf.MatMul"(%x, %y) {T = f32} : (tensor<2x3xi8>, tensor<3x4xf32>) -> tensor<2x4xf32> loc("mm")
  return %0 : tensor<2x4xf32>
}

// -----
func.func @unknown(%x: tensor<2xf32>) -> (tensor<2xf32> {tf.name = "r"}) {
  // CHECK: error: 'tf.NoSuchOp' op is not a known TensorFlow op: neither smopt's op table, the model's stripped_op_list nor SMOPT_OP_DEFS_FILE defines it
  %0 = "tf.NoSuchOp"(%x) {T = f32} : (tensor<2xf32>) -> tensor<2xf32> loc("n")
  return %0 : tensor<2xf32>
}

// -----
func.func @missing_attr(%x: tensor<2xf32>) -> (tensor<2xf32> {tf.name = "r"}) {
  // CHECK: error: 'tf.Relu' op requires attribute 'T' (type)
  %0 = "tf.Relu"(%x) : (tensor<2xf32>) -> tensor<2xf32> loc("relu")
  return %0 : tensor<2xf32>
}

// -----
func.func @attr_kind(%x: tensor<2x2xf32>) -> (tensor<2x2xf32> {tf.name = "r"}) {
  // CHECK: error: 'tf.MatMul' op attribute 'transpose_a' must be a bool, got 1
  %0 = "tf.MatMul"(%x, %x) {T = f32, transpose_a = 1} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> loc("mm")
  return %0 : tensor<2x2xf32>
}

// -----
func.func @not_allowed(%x: tensor<2x2xi8>) -> (tensor<2x2xi8> {tf.name = "r"}) {
  // CHECK: error: 'tf.MatMul' op attribute 'T' is i8, which the op does not accept (allowed: {{.*}}f32{{.*}})
  %0 = "tf.MatMul"(%x, %x) {T = i8} : (tensor<2x2xi8>, tensor<2x2xi8>) -> tensor<2x2xi8> loc("mm")
  return %0 : tensor<2x2xi8>
}

// -----
func.func @results(%x: tensor<2xf32>) -> (tensor<2xf32> {tf.name = "r"}) {
  // CHECK: error: 'tf.Relu' op has 2 results, but its op definition gives 1 (activations)
  %0:2 = "tf.Relu"(%x) {T = f32} : (tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) loc("relu")
  return %0#0 : tensor<2xf32>
}

// -----
func.func @number_attr(%x: tensor<2xf32>, %a: tensor<i32>) -> (tensor<4xf32> {tf.name = "r"}) {
  // CHECK: error: 'tf.ConcatV2' op has 3 operands, but its op definition gives 4 (values, axis)
  %0 = "tf.ConcatV2"(%x, %x, %a) {N = 3, T = f32, Tidx = i32} : (tensor<2xf32>, tensor<2xf32>, tensor<i32>) -> tensor<4xf32> loc("concat")
  return %0 : tensor<4xf32>
}

// -----
func.func @inner_dims(%x: tensor<2x3xf32>, %y: tensor<4x5xf32>) -> (tensor<2x5xf32> {tf.name = "r"}) {
  // CHECK: error: 'tf.MatMul' op inner dimensions differ: [2, 3] x [4, 5]
  %0 = "tf.MatMul"(%x, %y) {T = f32} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32> loc("mm")
  return %0 : tensor<2x5xf32>
}

// -----
func.func @result_shape(%x: tensor<?x3xf32>, %y: tensor<3x5xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  // CHECK: error: 'tf.MatMul' op result #0 has shape [?, 4], but its operands give [?, 5]
  %0 = "tf.MatMul"(%x, %y) {T = f32} : (tensor<?x3xf32>, tensor<3x5xf32>) -> tensor<?x4xf32> loc("mm")
  return %0 : tensor<?x4xf32>
}

// -----
func.func @broadcast(%x: tensor<2x3xf32>, %y: tensor<4xf32>) -> (tensor<2x3xf32> {tf.name = "r"}) {
  // CHECK: error: 'tf.AddV2' op shapes [2, 3] and [4] do not broadcast
  %0 = "tf.AddV2"(%x, %y) {T = f32} : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32> loc("add")
  return %0 : tensor<2x3xf32>
}

// -----
func.func @reshape(%x: tensor<2x3xf32>) -> (tensor<4x2xf32> {tf.name = "r"}) {
  %s = "tf.Const"() {dtype = i32, value = dense<[4, 2]> : tensor<2xi32>} : () -> tensor<2xi32> loc("shape")
  // CHECK: error: 'tf.Reshape' op cannot reshape [2, 3] (6 elements) into [4, 2]
  %0 = "tf.Reshape"(%x, %s) {T = f32, Tshape = i32} : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<4x2xf32> loc("reshape")
  return %0 : tensor<4x2xf32>
}

// -----
func.func @conv(%x: tensor<1x8x8x3xf32>, %w: tensor<3x3x3x16xf32>) -> (tensor<1x8x8x16xf32> {tf.name = "r"}) {
  // CHECK: error: 'tf.Conv2D' op result #0 has shape [1, 8, 8, 16], but its operands give [1, 3, 3, 16]
  %0 = "tf.Conv2D"(%x, %w) {T = f32, padding = "VALID", strides = [1, 2, 2, 1]} : (tensor<1x8x8x3xf32>, tensor<3x3x3x16xf32>) -> tensor<1x8x8x16xf32> loc("conv")
  return %0 : tensor<1x8x8x16xf32>
}

// -----
// Quantized tensors store plain integers that TF's qint8 names too; a custom op is an error
// until declared.
// CHECK: verifier-ops.mlir:109:3: error: 'tf.MyOp' op is not a known TensorFlow op
// DEFS-LABEL: func.func @ok
// DEFS-NOT: error
// DEFS: "tf.MyOp"
func.func @ok(%q: tensor<4x!quant.uniform<i8:f32, 0.5:-3>>, %x: tensor<1x8x8x3xf32>, %w: tensor<3x3x3x16xf32>) -> (tensor<1x3x3x16xf32> {tf.name = "r"}) {
  %0 = "tf.Identity"(%q) {T = !tf_type.qint8} : (tensor<4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<4x!quant.uniform<i8:f32, 0.5:-3>> loc("id")
  %1 = "tf.Conv2D"(%x, %w) {T = f32, padding = "VALID", strides = [1, 2, 2, 1]} : (tensor<1x8x8x3xf32>, tensor<3x3x3x16xf32>) -> tensor<1x3x3x16xf32> loc("conv")
  %2 = "tf.MyOp"(%1) {T = f32} : (tensor<1x3x3x16xf32>) -> tensor<1x3x3x16xf32> loc("custom")
  return %2 : tensor<1x3x3x16xf32>
}
