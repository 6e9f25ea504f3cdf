// RUN: smopt %s -p 'quantize{method=weight_only min-num-elements=0}' --pass-statistics 2>&1 | filecheck %s
// Int8 variables (handles, reads, save/restore) are rewritten by passes/analysis/variables.py.

// Weights held in variables (values given in the IR, as passes print them). The analysis
// follows each handle through bound inputs, calls and the checkpoint functions:
// - @w is only read, saved and restored: it becomes an int8 variable; the handle types,
//   VarHandleOp/ReadVariableOp/AssignVariableOp dtypes and the RestoreV2/SaveV2 dtypes follow
//   so that its checkpoint entry is int8 (TF Serving restores it with @restore). A float
//   use of the read besides the MatMul (the Neg) gets a dequantized copy.
// - @e is also read by ResourceGather: it stays float, the MatMul gets an int8 constant copy.
// - @c is written at run time (AssignAddVariableOp): not quantized.
// CHECK-LABEL: module
// CHECK: "tf_saved_model.variable"() {checkpoint_key = "w/.ATTRIBUTES/VARIABLE_VALUE", name = "w", node_id = 1, path = "w", trainable = true, type = tensor<2x3x!quant.uniform<i8:f32:1, {0.007874015718698502:0,0.031496062874794006:0,0.007874015718698502:0}>>, value = dense<{{\[}}[127, -64, 64], [32, 127, -127]]> : tensor<2x3xi8>} : () -> ()
// CHECK-NEXT: "tf_saved_model.variable"() {checkpoint_key = "e/.ATTRIBUTES/VARIABLE_VALUE", {{.*}} : tensor<2x3xf32>} : () -> ()
// CHECK-NEXT: "tf_saved_model.variable"() {checkpoint_key = "c/.ATTRIBUTES/VARIABLE_VALUE", {{.*}} : () -> ()
// CHECK: "tf.graph"() ({
// CHECK-NEXT: "tf.VarHandleOp"() {dtype = i8, shape = #tf_type.shape<2x3>, shared_name = "w"}
// CHECK-NEXT: "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2x3>, shared_name = "e"}
// CHECK-LABEL: func.func @restore(%file_prefix: tensor<!tf_type.string> loc("file_prefix"), %w: tensor<*x!tf_type.resource<tensor<2x3xi8>>> loc("w"), %e: tensor<*x!tf_type.resource<tensor<2x3xf32>>> loc("e"))
// CHECK: "tf.RestoreV2"({{.*}}) {dtypes = [i8, f32]} : ({{.*}}) -> (tensor<*xi8>, tensor<*xf32>)
// CHECK-NEXT: "tf.Identity"({{.*}}) {T = i8} : (tensor<*xi8>) -> tensor<*xi8>
// CHECK-NEXT: "tf.AssignVariableOp"(%w, {{.*}}) {dtype = i8}
// CHECK-NEXT: "tf.Identity"({{.*}}) {T = f32}
// CHECK-NEXT: "tf.AssignVariableOp"(%e, {{.*}}) {dtype = f32}
// CHECK-LABEL: func.func @save(%file_prefix: tensor<!tf_type.string> loc("file_prefix"), %w: tensor<*x!tf_type.resource<tensor<2x3xi8>>> loc("w"))
// CHECK: "tf.ReadVariableOp"(%w, %ctl_0) {dtype = i8} : {{.*}} -> tensor<2x3x!quant.uniform<i8:f32:1, {{.*}}>> loc("Read/ReadVariableOp")
// CHECK-NEXT: "tf.Identity"({{.*}}) {T = i8}
// CHECK: "tf.SaveV2"({{.*}}) {dtypes = [i8]}
// CHECK-LABEL: func.func @serve(
// CHECK-SAME: %w: tensor<*x!tf_type.resource<tensor<2x3xi8>>> {tf_saved_model.bound_input = 1} loc("w"), %e: tensor<*x!tf_type.resource<tensor<2x3xf32>>> {tf_saved_model.bound_input = 2} loc("e"), %c: tensor<*x!tf_type.resource<tensor<2x3xf32>>> {tf_saved_model.bound_input = 3} loc("c"))
// CHECK-NEXT: %[[EQ:.*]] = "tf.Const"() {dtype = i8, {{.*}} : tensor<2x3x!quant.uniform<i8:f32:1, {0.007874015718698502:0,0.015748031437397003:0,0.023622047156095505:0}>>} {{.*}} loc("read_e/int8_weight")
// CHECK-NEXT: %[[R:.*]] = "tf.ReadVariableOp"(%w) {dtype = i8} : (tensor<*x!tf_type.resource<tensor<2x3xi8>>>) -> tensor<2x3x!quant.uniform<i8:f32:1, {{.*}}>> loc("read_w/ReadVariableOp")
// CHECK-NEXT: %[[DC:.*]] = "tf.Cast"(%[[R]]) {DstT = f32, SrcT = i8, Truncate = false} {{.*}} loc("read_w/ReadVariableOp/dequantize_cast")
// CHECK-NEXT: "tf.Const"
// CHECK-NEXT: %[[DQ:.*]] = "tf.Mul"(%[[DC]], {{.*}} loc("read_w/ReadVariableOp/dequantize")
// CHECK: "tf.MatMul"(%x, %{{.*}}) {T = f32, smopt.quantized = "weight_only"} {{.*}} loc("mm_w")
// CHECK: "tf.Neg"(%[[DQ]])
// CHECK: "tf.ReadVariableOp"(%e) {dtype = f32}
// CHECK: "tf.Cast"(%[[EQ]])
// CHECK: "tf.MatMul"(%x, %{{.*}}) {T = f32, smopt.quantized = "weight_only"} {{.*}} loc("mm_e")
// CHECK: "tf.ResourceGather"(%e
// CHECK: "tf.ReadVariableOp"(%c) {dtype = f32}
// CHECK: "tf.MatMul"(%x, %{{.*}}) {T = f32} {{.*}} loc("mm_c")
// CHECK: "tf.AssignAddVariableOp"(%c
// CHECK: (S) 2 num-quantized
// CHECK: (S) 1 num-int8-variables
// CHECK: (S) 1 num-int8-constants
// CHECK: (S) 1 num-skipped-unsupported
module attributes {tf_saved_model.tags = ["serve"]} {
  "tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, method_name = "tensorflow/serving/predict", input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y", "z", "g", "n"], output_tensors = ["StatefulPartitionedCall:0", "StatefulPartitionedCall:1", "StatefulPartitionedCall:2", "StatefulPartitionedCall:3"]} : (tensor<?x2xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>, tensor<1x3xf32>, tensor<2x3xf32>)
  "tf_saved_model.variable"() {sym_name = "w", name = "w", checkpoint_key = "w/.ATTRIBUTES/VARIABLE_VALUE", node_id = 1, trainable = true, value = dense<[[1.0, -2.0, 0.5], [0.25, 4.0, -1.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  "tf_saved_model.variable"() {sym_name = "e", name = "e", checkpoint_key = "e/.ATTRIBUTES/VARIABLE_VALUE", node_id = 2, trainable = true, value = dense<[[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  "tf_saved_model.variable"() {sym_name = "c", name = "c", checkpoint_key = "c/.ATTRIBUTES/VARIABLE_VALUE", node_id = 3, trainable = false, value = dense<1.0> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  tf.graph {
    %hw = "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2x3>, shared_name = "w"} : () -> tensor<!tf_type.resource> loc("w")
    %he = "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2x3>, shared_name = "e"} : () -> tensor<!tf_type.resource> loc("e")
    %fn = "tf.Placeholder"() {dtype = !tf_type.string, shape = #tf_type.shape<>} : () -> tensor<!tf_type.string> loc("saver_filename")
    %r = "tf.StatefulPartitionedCall"(%fn, %hw, %he) {Tin = [!tf_type.string, !tf_type.resource, !tf_type.resource], Tout = [!tf_type.string], f = @restore} : (tensor<!tf_type.string>, tensor<!tf_type.resource>, tensor<!tf_type.resource>) -> tensor<!tf_type.string> loc("StatefulPartitionedCall_2")
  }
  func.func @restore(%file_prefix: tensor<!tf_type.string>, %w: tensor<*x!tf_type.resource<tensor<2x3xf32>>>, %e: tensor<*x!tf_type.resource<tensor<2x3xf32>>>) -> (tensor<!tf_type.string> {tf.name = "identity"}) {
    %names = "tf.Const"() {dtype = !tf_type.string, value = dense<["w/.ATTRIBUTES/VARIABLE_VALUE", "e/.ATTRIBUTES/VARIABLE_VALUE"]> : tensor<2x!tf_type.string>} : () -> tensor<2x!tf_type.string> loc("RestoreV2/tensor_names")
    %slices = "tf.Const"() {dtype = !tf_type.string, value = dense<""> : tensor<2x!tf_type.string>} : () -> tensor<2x!tf_type.string> loc("RestoreV2/shape_and_slices")
    %v:2 = "tf.RestoreV2"(%file_prefix, %names, %slices) {dtypes = [f32, f32]} : (tensor<!tf_type.string>, tensor<2x!tf_type.string>, tensor<2x!tf_type.string>) -> (tensor<*xf32>, tensor<*xf32>) loc("RestoreV2")
    %i0 = "tf.Identity"(%v#0) {T = f32} : (tensor<*xf32>) -> tensor<*xf32> loc("Identity")
    %a0 = "tf.AssignVariableOp"(%w, %i0) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>, tensor<*xf32>) -> !tf_executor.control loc("AssignVariableOp")
    %i1 = "tf.Identity"(%v#1) {T = f32} : (tensor<*xf32>) -> tensor<*xf32> loc("Identity_1")
    %a1 = "tf.AssignVariableOp"(%e, %i1) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>, tensor<*xf32>) -> !tf_executor.control loc("AssignVariableOp_1")
    %out = "tf.Identity"(%file_prefix, %a0, %a1) {T = !tf_type.string} : (tensor<!tf_type.string>, !tf_executor.control, !tf_executor.control) -> tensor<!tf_type.string> loc("Identity_2")
    return %out : tensor<!tf_type.string>
  }
  func.func @save(%file_prefix: tensor<!tf_type.string>, %w: tensor<*x!tf_type.resource<tensor<2x3xf32>>>) -> (tensor<!tf_type.string> {tf.name = "identity"}) {
    %d = "tf.DisableCopyOnRead"(%w) : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>) -> !tf_executor.control loc("Read/DisableCopyOnRead")
    %r, %rc = "tf.ReadVariableOp"(%w, %d) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>, !tf_executor.control) -> (tensor<2x3xf32>, !tf_executor.control) loc("Read/ReadVariableOp")
    %i = "tf.Identity"(%r) {T = f32} : (tensor<2x3xf32>) -> tensor<2x3xf32> loc("Identity")
    %names = "tf.Const"() {dtype = !tf_type.string, value = dense<["w/.ATTRIBUTES/VARIABLE_VALUE"]> : tensor<1x!tf_type.string>} : () -> tensor<1x!tf_type.string> loc("SaveV2/tensor_names")
    %slices = "tf.Const"() {dtype = !tf_type.string, value = dense<""> : tensor<1x!tf_type.string>} : () -> tensor<1x!tf_type.string> loc("SaveV2/shape_and_slices")
    %s = "tf.SaveV2"(%file_prefix, %names, %slices, %i) {dtypes = [f32]} : (tensor<!tf_type.string>, tensor<1x!tf_type.string>, tensor<1x!tf_type.string>, tensor<2x3xf32>) -> !tf_executor.control loc("SaveV2")
    %out = "tf.Identity"(%file_prefix, %s) {T = !tf_type.string} : (tensor<!tf_type.string>, !tf_executor.control) -> tensor<!tf_type.string> loc("Identity_1")
    return %out : tensor<!tf_type.string>
  }
  func.func @serve(%x: tensor<?x2xf32>, %w: tensor<*x!tf_type.resource<tensor<2x3xf32>>> {tf_saved_model.bound_input = 1}, %e: tensor<*x!tf_type.resource<tensor<2x3xf32>>> {tf_saved_model.bound_input = 2}, %c: tensor<*x!tf_type.resource<tensor<2x3xf32>>> {tf_saved_model.bound_input = 3}) -> (tensor<?x3xf32> {tf.name = "y"}, tensor<?x3xf32> {tf.name = "z"}, tensor<1x3xf32> {tf.name = "g"}, tensor<2x3xf32> {tf.name = "n"}) {
    %rw = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>) -> tensor<2x3xf32> loc("read_w/ReadVariableOp")
    %mw = "tf.MatMul"(%x, %rw) {T = f32} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32> loc("mm_w")
    %n = "tf.Neg"(%rw) {T = f32} : (tensor<2x3xf32>) -> tensor<2x3xf32> loc("neg")
    %re = "tf.ReadVariableOp"(%e) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>) -> tensor<2x3xf32> loc("read_e")
    %me = "tf.MatMul"(%x, %re) {T = f32} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32> loc("mm_e")
    %idx = "tf.Const"() {dtype = i32, value = dense<[1]> : tensor<1xi32>} : () -> tensor<1xi32> loc("idx")
    %g = "tf.ResourceGather"(%e, %idx) {Tindices = i32, dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>, tensor<1xi32>) -> tensor<1x3xf32> loc("gather")
    %rc = "tf.ReadVariableOp"(%c) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>) -> tensor<2x3xf32> loc("read_c")
    %mc = "tf.MatMul"(%x, %rc) {T = f32} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32> loc("mm_c")
    %one = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<2x3xf32>} : () -> tensor<2x3xf32> loc("one")
    %inc = "tf.AssignAddVariableOp"(%c, %one) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>, tensor<2x3xf32>) -> !tf_executor.control loc("inc")
    %sum = "tf.AddV2"(%mw, %mc, %inc) {T = f32} : (tensor<?x3xf32>, tensor<?x3xf32>, !tf_executor.control) -> tensor<?x3xf32> loc("sum")
    return %sum, %me, %g, %n : tensor<?x3xf32>, tensor<?x3xf32>, tensor<1x3xf32>, tensor<2x3xf32>
  }
}
