// Printing is a fixed point of parse -> print, and the printer normalizes hand-written IR.
// The text is MLIR (tests/test_mlir_interop.py runs MLIR's parser on it): module-level items
// are generic ops without operands or results, their types are attributes; argument names
// are also locations; control results are declared in the function type.
// RUN: smopt %s > %t.1.mlir
// RUN: smopt %t.1.mlir > %t.2.mlir
// RUN: diff %t.1.mlir %t.2.mlir
// RUN: filecheck %s < %t.1.mlir

// CHECK-LABEL: module attributes {tf_saved_model.tags = ["serve"]} {
module attributes {tf_saved_model.tags = ["serve"]} {
  // CHECK: "tf_saved_model.signature"() {function = @f, function_type = (tensor<?x10xf32>) -> tensor<?x10xf32>, input_names = ["x"], input_tensors = ["serving_default_x:0"], method_name = "tensorflow/serving/predict", name = "serving_default", output_names = ["out"], output_tensors = ["StatefulPartitionedCall:0"]} : () -> ()
  "tf_saved_model.signature"() {name = "serving_default", function = @f, function_type = (tensor<?x10xf32>) -> tensor<?x10xf32>, method_name = "tensorflow/serving/predict", input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["out"], output_tensors = ["StatefulPartitionedCall:0"]} : () -> ()
  // CHECK-NEXT: "tf_saved_model.alias"() {function = @f, name = "tpu_func"} : () -> ()
  "tf_saved_model.alias"() {name = "tpu_func", function = @f} : () -> ()
  // CHECK-NEXT: "tf_saved_model.variable"() {checkpoint_key = "w/.ATTRIBUTES/VARIABLE_VALUE", name = "w", node_id = 1, path = "w", trainable = true, type = tensor<10x10xf32>} : () -> ()
  "tf_saved_model.variable"() {path = "w", name = "w", checkpoint_key = "w/.ATTRIBUTES/VARIABLE_VALUE", node_id = 1, trainable = true, type = tensor<10x10xf32>} : () -> ()
  // CHECK-NEXT: "tf_saved_model.asset"() {filename = "vocab.txt", node_id = 2, tensor_name = "asset_path:0"} : () -> ()
  "tf_saved_model.asset"() {filename = "vocab.txt", node_id = 2, tensor_name = "asset_path:0"} : () -> ()

  // The main graph: a generic op with one region.
  // CHECK-NEXT: "tf.graph"() ({
  // CHECK-NEXT:   %0 = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<?x10>} : () -> tensor<?x10xf32> loc("serving_default_x")
  // CHECK-NEXT:   %1 = "tf.Identity"(%0) {T = f32} : (tensor<?x10xf32>) -> tensor<?x10xf32> loc("Identity")
  // CHECK-NEXT: }) : () -> ()
  "tf.graph"() ({
    %x = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<?x10>} : () -> tensor<?x10xf32> loc("serving_default_x")
    %0 = "tf.Identity"(%x) {T = f32} : (tensor<?x10xf32>) -> tensor<?x10xf32> loc("Identity")
  }) : () -> ()

  // Argument and result attributes without a dialect prefix (TF's own) print with `tf.`.
  // CHECK: func.func @f(%x: tensor<?x10xf32> {tf._user_specified_name = "x"} loc("x"), %w: tensor<*x!tf_type.resource<tensor<10x10xf32>>> loc("w")) -> (tensor<?x10xf32> {tf.name = "identity"}, tensor<2x!tf_type.string> {tf.name = "names"}, !tf_executor.control) attributes {_XlaMustCompile = true} {
  func.func @f(%x: tensor<?x10xf32> {_user_specified_name = "x"}, %w: tensor<*x!tf_type.resource<tensor<10x10xf32>>>) -> (tensor<?x10xf32> {tf.name = "identity"}, tensor<2x!tf_type.string> {tf.name = "names"}, !tf_executor.control) attributes {_XlaMustCompile = true} {
    // Values may be used before their definition; the printer orders ops topologically.
    // CHECK-NEXT: %0, %ctl_0 = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<10x10xf32>>>) -> (tensor<10x10xf32>, !tf_executor.control) loc("read")
    // CHECK-NEXT: %1 = "tf.MatMul"(%x, %0) {T = f32, transpose_a = false} : (tensor<?x10xf32>, tensor<10x10xf32>) -> tensor<?x10xf32> loc("MatMul")
    %mm = "tf.MatMul"(%x, %r) {transpose_a = false, T = f32} : (tensor<?x10xf32>, tensor<10x10xf32>) -> tensor<?x10xf32> loc("MatMul")
    %r, %rc = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<10x10xf32>>>) -> (tensor<10x10xf32>, !tf_executor.control) loc("read")
    // Multi-result ops use %N:k and %N#i.
    // CHECK-NEXT: %2 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("axis")
    // CHECK-NEXT: %3:2 = "tf.Split"(%2, %1) {T = f32, num_split = 2} : (tensor<i32>, tensor<?x10xf32>) -> (tensor<?x5xf32>, tensor<?x5xf32>) loc("split")
    // CHECK-NEXT: %4 = "tf.ConcatV2"(%3#1, %3#0, %2) {N = 2, T = f32} : (tensor<?x5xf32>, tensor<?x5xf32>, tensor<i32>) -> tensor<?x10xf32> loc("concat")
    %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("axis")
    %s:2 = "tf.Split"(%axis, %mm) {T = f32, num_split = 2} : (tensor<i32>, tensor<?x10xf32>) -> (tensor<?x5xf32>, tensor<?x5xf32>) loc("split")
    %c = "tf.ConcatV2"(%s#1, %s#0, %axis) {T = f32, N = 2} : (tensor<?x5xf32>, tensor<?x5xf32>, tensor<i32>) -> tensor<?x10xf32> loc("concat")
    // Every attribute kind: strings with escapes, floats (always with a '.', NaN and
    // infinities as MLIR writes them: the f32 bits in hex), lists, types, shapes, functions,
    // placeholders.
    // CHECK-NEXT: %5 = "tf.Const"() {a_bytes = "ab\00\FF", a_float = 0.1, a_floats = [1.5, -2.0, 1.0e-05, 0x7F800000 : f32, 0x7FC00000 : f32], a_func = #tf_type.func<@f, {T = f32}>, a_ints = [1, -2], a_ph = #tf_type.placeholder<"T">, a_shapes = [#tf_type.shape<?x3>, #tf_type.shape<*>, #tf_type.shape<>], a_types = [bf16, f16, i8, ui8, !tf_type.string, complex<f32>, !tf_type.qint8], dtype = !tf_type.string, value = dense<["a", "b\0A"]> : tensor<2x!tf_type.string>} : () -> tensor<2x!tf_type.string> loc("strings")
    %str = "tf.Const"() {dtype = !tf_type.string, value = dense<["a", "b\0A"]> : tensor<2x!tf_type.string>, a_bytes = "ab\00\FF", a_float = 0.1, a_floats = [1.5, -2.0, 1e-5, inf, nan], a_ints = [1, -2], a_types = [bf16, f16, i8, ui8, !tf_type.string, complex<f32>, !tf_type.qint8], a_shapes = [#tf_type.shape<?x3>, #tf_type.shape<*>, #tf_type.shape<>], a_func = #tf_type.func<@f, {T = f32}>, a_ph = #tf_type.placeholder<"T">} : () -> tensor<2x!tf_type.string> loc("strings")
    // Dense constants: small ones as literals, others (and bf16) as hex, splats compact.
    // CHECK-NEXT: "tf.Const"() {dtype = bf16, value = dense<"0xC03F0040"> : tensor<2xbf16>} : () -> tensor<2xbf16> loc("bf16")
    // CHECK-NEXT: "tf.Const"() {dtype = f32, value = dense<{{\[\[}}1.0, 2.0], [3.0, 4.5]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32> loc("lit")
    // CHECK-NEXT: "tf.Const"() {dtype = f32, value = dense<0.0> : tensor<4x4xf32>} : () -> tensor<4x4xf32> loc("splat")
    // CHECK-NEXT: "tf.Const"() {dtype = i1, value = dense<[true, false]> : tensor<2xi1>} : () -> tensor<2xi1> loc("bools")
    %b = "tf.Const"() {dtype = bf16, value = dense<[1.5, 2.0]> : tensor<2xbf16>} : () -> tensor<2xbf16> loc("bf16")
    %l = "tf.Const"() {dtype = f32, value = dense<[[1.0, 2.0], [3.0, 4.5]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32> loc("lit")
    %z = "tf.Const"() {dtype = f32, value = dense<"0x00000000"> : tensor<4x4xf32>} : () -> tensor<4x4xf32> loc("splat")
    %bo = "tf.Const"() {dtype = i1, value = dense<[true, false]> : tensor<2xi1>} : () -> tensor<2xi1> loc("bools")
    // Quantized element types carry scale and zero point; per-axis too.
    // CHECK-NEXT: "tf.Placeholder"() {dtype = i8} : () -> tensor<4x!quant.uniform<i8:f32, 0.05:-3>> loc("q")
    // CHECK-NEXT: "tf.Placeholder"() {dtype = i8} : () -> tensor<2x3x!quant.uniform<i8:f32:1, {0.5:0,0.25:0,0.125:0}>> loc("qa")
    %q = "tf.Placeholder"() {dtype = i8} : () -> tensor<4x!quant.uniform<i8:f32, 0.05:-3>> loc("q")
    %qa = "tf.Placeholder"() {dtype = i8} : () -> tensor<2x3x!quant.uniform<i8:f32:1, {0.5:0, 0.25:0, 0.125:0}>> loc("qa")
    // Control inputs follow data operands; a used control token gets a %ctl_N name.
    // CHECK-NEXT: %ctl_1 = "tf.NoOp"(%ctl_0) {device = "/device:CPU:0"} : (!tf_executor.control) -> !tf_executor.control loc("deps")
    // CHECK-NEXT: %[[ID:[0-9]+]] = "tf.Identity"(%4, %ctl_1) {T = f32} : (tensor<?x10xf32>, !tf_executor.control) -> tensor<?x10xf32> loc("Identity")
    %ctl = "tf.NoOp"(%rc) {device = "/device:CPU:0"} : (!tf_executor.control) -> !tf_executor.control loc("deps")
    %id = "tf.Identity"(%c, %ctl) {T = f32} : (tensor<?x10xf32>, !tf_executor.control) -> tensor<?x10xf32> loc("Identity")
    // CHECK-NEXT: return %[[ID]], %5, %ctl_0 : tensor<?x10xf32>, tensor<2x!tf_type.string>, !tf_executor.control
    return %id, %str, %rc : tensor<?x10xf32>, tensor<2x!tf_type.string>, !tf_executor.control
  }
}
