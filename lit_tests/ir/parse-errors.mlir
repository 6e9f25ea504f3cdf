// Malformed IR gives one `file:line:col: error:` line per chunk and a non-zero exit.
// RUN: not smopt %s --split-input-file 2>&1 | filecheck %s

// CHECK: parse-errors.mlir:6:54: error: expected '>' to close tensor type, found 'loc("x")'
func.func @f() -> () {
  %0 = "tf.Const"() {dtype = f32} : () -> tensor<f32 loc("x")
  return
}

// -----
func.func @f(%x: tensor<f32>) -> (tensor<f32>) {
  // CHECK: parse-errors.mlir:13:10: error: use of undefined value '%y'
  return %y : tensor<f32>
}

// -----
func.func @f(%x: tensor<f32>) -> (tensor<f32>) {
  // CHECK: parse-errors.mlir:19:22: error: use of value '%x' expects different type than prior uses: 'tensor<i32>' vs 'tensor<f32>'
  %0 = "tf.Identity"(%x) {T = f32} : (tensor<i32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----
func.func @f() -> () {
  // CHECK: parse-errors.mlir:26:3: error: op name must be "tf.<OpType>", got 'arith.constant'
  "arith.constant"() : () -> ()
  return
}

// -----
func.func @f(%x: tensor<f32>) -> (tensor<f32>) {
  %0 = "tf.Identity"(%1) {T = f32} : (tensor<f32>) -> tensor<f32> loc("a")
  %1 = "tf.Identity"(%0) {T = f32} : (tensor<f32>) -> tensor<f32> loc("b")
  // CHECK: parse-errors.mlir:32:3: error: dataflow cycle through node 'a' (Identity) in @f
  return %0 : tensor<f32>
}

// -----
// CHECK: parse-errors.mlir:40:1: error: expected 'func.func', 'tf.graph' or a module-level item
garbage

// -----
// CHECK: parse-errors.mlir:45:42: error: expected quantization axis (an integer)
func.func @f() -> () {
  "tf.NoOp"() {T = !quant.uniform<i8:f32:, {}>} : () -> ()
  return
}

// -----
// CHECK: parse-errors.mlir:52:20: error: per-axis quantized type needs at least one scale:zero_point pair
func.func @f() -> () {
  "tf.NoOp"() {T = !quant.uniform<i8:f32:0, {}>} : () -> ()
  return
}

// -----
// CHECK: parse-errors.mlir:59:35: error: quantized storage type must be an integer type, got f32
func.func @f() -> () {
  "tf.NoOp"() {T = !quant.uniform<f32:f32, 0.5:0>} : () -> ()
  return
}

// -----
// CHECK: parse-errors.mlir:65:25: error: expected element type
func.func @f(%x: tensor<٣x2xf32>) -> () {
  return
}

// -----
// CHECK: parse-errors.mlir:72:120: error: nesting deeper than 100 levels
func.func @f() -> () {
  "tf.NoOp"() {a = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]} : () -> ()
  return
}

// -----
// CHECK: parse-errors.mlir:79:20: error: '!tf_executor.control' is not an attribute value
func.func @f() -> () {
  "tf.NoOp"() {a = !tf_executor.control} : () -> ()
  return
}

// -----
// CHECK: parse-errors.mlir:86:42: error: tensor_proto needs a hex string "0x..."
func.func @f() -> () {
  "tf.NoOp"() {a = #tf_type.tensor_proto<"0xZZ"> : tensor<f32>} : () -> ()
  return
}

// -----
// A literal the element type cannot hold is an error, not inf.
// CHECK: parse-errors.mlir:94:49: error: invalid dense constant: float literal out of range for f16
func.func @f() -> () {
  %0 = "tf.Const"() {dtype = f16, value = dense<[1.0, 7.0e4]> : tensor<2xf16>} : () -> tensor<2xf16>
  return
}
