// RUN: smopt %s -p freeze-variables --split-input-file | filecheck %s
// RUN: smopt %s -p freeze-variables --split-input-file --no-output --pass-statistics 2>&1 | filecheck %s --check-prefix=STATS
// RUN: smopt %s -p 'freeze-variables{drop-unused=false}' --split-input-file 2>&1 | filecheck %s --check-prefix=KEEP
// freeze-variables (passes/freeze_variables.py): reads of read-only variables become
// constants; a model left without state loses its variables and checkpoint functions.

// CHECK-LABEL: module
// CHECK-NOT: tf_saved_model.variable
// CHECK: "tf.graph"() ({
// CHECK-NEXT: "tf.Placeholder"() {{.*}} loc("serving_default_x")
// CHECK-NEXT: "tf.StatefulPartitionedCall"(%{{.*}}) {Tin = [f32], Tout = [f32], _read_only_resource_inputs = [], f = @serve} {{.*}} loc("StatefulPartitionedCall")
// CHECK-NEXT: "tf.NoOp"() : () -> () loc("NoOp")
// CHECK-NEXT: }
// CHECK-NOT: @save
// CHECK-NOT: @restore
// CHECK: func.func @serve(%x: tensor<?x2xf32> loc("x")) -> (tensor<?x3xf32> {tf.name = "y"})
// CHECK-SAME: attributes {_input_shapes = [#tf_type.shape<?x2>], tf_saved_model.exported = true}
// CHECK-NEXT: "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], _read_only_resource_inputs = [], f = @inner}
// CHECK: func.func @inner(%x: tensor<?x2xf32> loc("x")) -> (tensor<?x3xf32> {tf.name = "y"})
// CHECK-NEXT: %[[C:.*]] = "tf.NoOp"() : () -> !tf_executor.control loc("before")
// CHECK-NEXT: %[[W:.*]], %[[WC:.*]] = "tf.Const"(%[[C]]) {dtype = f32, value = dense<{{\[}}[1.0, -2.0, 0.5], [0.25, 4.0, -1.0]]> : tensor<2x3xf32>} : (!tf_executor.control) -> (tensor<2x3xf32>, !tf_executor.control) loc("dense/ReadVariableOp")
// CHECK-NEXT: "tf.MatMul"(%x, %[[W]], %[[WC]])
// STATS: (S) 1 num-frozen-reads
// STATS: (S) 2 num-frozen-variables
// STATS: (S) 2 num-removed-arguments
// STATS: (S) 2 num-dropped-variables

// Without dropping, only the read changes: handles, captures and checkpoint stay.
// KEEP-LABEL: module
// KEEP: "tf_saved_model.variable"() {checkpoint_key = "w/.ATTRIBUTES/VARIABLE_VALUE"
// KEEP: "tf_saved_model.variable"() {checkpoint_key = "dup/.ATTRIBUTES/VARIABLE_VALUE"
// KEEP: "tf.StatefulPartitionedCall"(%{{.*}}, %{{.*}}) {{.*}} f = @serve}
// KEEP: func.func @save(
// KEEP: func.func @serve(%x: tensor<?x2xf32> loc("x"), %w: tensor<*x!tf_type.resource<tensor<2x3xf32>>> {tf_saved_model.bound_input = 1} loc("w"))
// KEEP: func.func @inner(%x: tensor<?x2xf32> loc("x"), %res: tensor<*x!tf_type.resource<tensor<2x3xf32>>> loc("res"))
// KEEP: "tf.Const"(%{{.*}}) {dtype = f32, value = dense<{{\[}}[1.0, -2.0, 0.5], [0.25, 4.0, -1.0]]> : tensor<2x3xf32>} {{.*}} loc("dense/ReadVariableOp")
module attributes {tf_saved_model.tags = ["serve"]} {
  "tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, method_name = "tensorflow/serving/predict", input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<?x2xf32>) -> (tensor<?x3xf32>)
  "tf_saved_model.variable"() {sym_name = "w", name = "w", checkpoint_key = "w/.ATTRIBUTES/VARIABLE_VALUE", node_id = 1, trainable = true, value = dense<[[1.0, -2.0, 0.5], [0.25, 4.0, -1.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  "tf_saved_model.variable"() {sym_name = "dup", name = "w", checkpoint_key = "dup/.ATTRIBUTES/VARIABLE_VALUE", node_id = 2, trainable = true, value = dense<[[1.0, -2.0, 0.5], [0.25, 4.0, -1.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  tf.graph {
    %hw = "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2x3>, shared_name = "w"} : () -> tensor<!tf_type.resource> loc("w")
    %hd = "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2x3>, shared_name = "dup"} : () -> tensor<!tf_type.resource> loc("dup")
    %init = "tf.VarIsInitializedOp"(%hd) : (tensor<!tf_type.resource>) -> tensor<i1> loc("dup/IsInitialized/VarIsInitializedOp")
    %x = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<?x2>} : () -> tensor<?x2xf32> loc("serving_default_x")
    %y = "tf.StatefulPartitionedCall"(%x, %hw) {Tin = [f32, !tf_type.resource], Tout = [f32], _read_only_resource_inputs = [1], f = @serve} : (tensor<?x2xf32>, tensor<!tf_type.resource>) -> tensor<?x3xf32> loc("StatefulPartitionedCall")
    %noop = "tf.NoOp"() : () -> !tf_executor.control loc("NoOp")
    %fn = "tf.Placeholder"() {dtype = !tf_type.string, shape = #tf_type.shape<>} : () -> tensor<!tf_type.string> loc("saver_filename")
    %s = "tf.StatefulPartitionedCall"(%fn, %hw, %hd) {Tin = [!tf_type.string, !tf_type.resource, !tf_type.resource], Tout = [!tf_type.string], f = @save} : (tensor<!tf_type.string>, tensor<!tf_type.resource>, tensor<!tf_type.resource>) -> tensor<!tf_type.string> loc("StatefulPartitionedCall_1")
    %r = "tf.StatefulPartitionedCall"(%fn, %hw, %hd) {Tin = [!tf_type.string, !tf_type.resource, !tf_type.resource], Tout = [!tf_type.string], f = @restore} : (tensor<!tf_type.string>, tensor<!tf_type.resource>, tensor<!tf_type.resource>) -> tensor<!tf_type.string> loc("StatefulPartitionedCall_2")
  }
  func.func @restore(%file_prefix: tensor<!tf_type.string>, %w: tensor<*x!tf_type.resource<tensor<2x3xf32>>>, %dup: tensor<*x!tf_type.resource<tensor<2x3xf32>>>) -> (tensor<!tf_type.string> {tf.name = "identity"}) {
    %names = "tf.Const"() {dtype = !tf_type.string, value = dense<["w/.ATTRIBUTES/VARIABLE_VALUE", "dup/.ATTRIBUTES/VARIABLE_VALUE"]> : tensor<2x!tf_type.string>} : () -> tensor<2x!tf_type.string> loc("RestoreV2/tensor_names")
    %slices = "tf.Const"() {dtype = !tf_type.string, value = dense<""> : tensor<2x!tf_type.string>} : () -> tensor<2x!tf_type.string> loc("RestoreV2/shape_and_slices")
    %v:2 = "tf.RestoreV2"(%file_prefix, %names, %slices) {dtypes = [f32, f32]} : (tensor<!tf_type.string>, tensor<2x!tf_type.string>, tensor<2x!tf_type.string>) -> (tensor<*xf32>, tensor<*xf32>) loc("RestoreV2")
    %a0 = "tf.AssignVariableOp"(%w, %v#0) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>, tensor<*xf32>) -> !tf_executor.control loc("AssignVariableOp")
    %a1 = "tf.AssignVariableOp"(%dup, %v#1) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>, tensor<*xf32>) -> !tf_executor.control loc("AssignVariableOp_1")
    %out = "tf.Identity"(%file_prefix, %a0, %a1) {T = !tf_type.string} : (tensor<!tf_type.string>, !tf_executor.control, !tf_executor.control) -> tensor<!tf_type.string> loc("Identity")
    return %out : tensor<!tf_type.string>
  }
  func.func @save(%file_prefix: tensor<!tf_type.string>, %w: tensor<*x!tf_type.resource<tensor<2x3xf32>>>, %dup: tensor<*x!tf_type.resource<tensor<2x3xf32>>>) -> (tensor<!tf_type.string> {tf.name = "identity"}) {
    %r0 = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>) -> tensor<2x3xf32> loc("Read/ReadVariableOp")
    %r1 = "tf.ReadVariableOp"(%dup) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>) -> tensor<2x3xf32> loc("Read_1/ReadVariableOp")
    %names = "tf.Const"() {dtype = !tf_type.string, value = dense<["w/.ATTRIBUTES/VARIABLE_VALUE", "dup/.ATTRIBUTES/VARIABLE_VALUE", "_CHECKPOINTABLE_OBJECT_GRAPH"]> : tensor<3x!tf_type.string>} : () -> tensor<3x!tf_type.string> loc("SaveV2/tensor_names")
    %slices = "tf.Const"() {dtype = !tf_type.string, value = dense<""> : tensor<3x!tf_type.string>} : () -> tensor<3x!tf_type.string> loc("SaveV2/shape_and_slices")
    %og = "tf.Const"() {dtype = !tf_type.string, value = dense<"graph"> : tensor<!tf_type.string>} : () -> tensor<!tf_type.string> loc("Const")
    %s = "tf.SaveV2"(%file_prefix, %names, %slices, %r0, %r1, %og) {dtypes = [f32, f32, !tf_type.string]} : (tensor<!tf_type.string>, tensor<3x!tf_type.string>, tensor<3x!tf_type.string>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<!tf_type.string>) -> !tf_executor.control loc("SaveV2")
    %out = "tf.Identity"(%file_prefix, %s) {T = !tf_type.string} : (tensor<!tf_type.string>, !tf_executor.control) -> tensor<!tf_type.string> loc("Identity")
    return %out : tensor<!tf_type.string>
  }
  func.func @serve(%x: tensor<?x2xf32>, %w: tensor<*x!tf_type.resource<tensor<2x3xf32>>> {tf_saved_model.bound_input = 1}) -> (tensor<?x3xf32> {tf.name = "y"}) attributes {_input_shapes = [#tf_type.shape<?x2>, #tf_type.shape<>], tf_saved_model.exported = true} {
    %y = "tf.StatefulPartitionedCall"(%x, %w) {Tin = [f32, !tf_type.resource], Tout = [f32], _read_only_resource_inputs = [1], f = @inner} : (tensor<?x2xf32>, tensor<*x!tf_type.resource<tensor<2x3xf32>>>) -> tensor<?x3xf32> loc("call")
    return %y : tensor<?x3xf32>
  }
  func.func @inner(%x: tensor<?x2xf32>, %res: tensor<*x!tf_type.resource<tensor<2x3xf32>>>) -> (tensor<?x3xf32> {tf.name = "y"}) {
    %ctl = "tf.NoOp"() : () -> !tf_executor.control loc("before")
    %rw, %rc = "tf.ReadVariableOp"(%res, %ctl) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>, !tf_executor.control) -> (tensor<2x3xf32>, !tf_executor.control) loc("dense/ReadVariableOp")
    %mw = "tf.MatMul"(%x, %rw, %rc) {T = f32} : (tensor<?x2xf32>, tensor<2x3xf32>, !tf_executor.control) -> tensor<?x3xf32> loc("dense/MatMul")
    return %mw : tensor<?x3xf32>
  }
}

// -----
// @c is written at run time (AssignAddVariableOp): it stays a variable, so the model keeps
// its checkpoint. @w is still frozen and its dead capture removed.
// CHECK-LABEL: module
// CHECK: "tf_saved_model.variable"() {checkpoint_key = "w/.ATTRIBUTES/VARIABLE_VALUE"
// CHECK: "tf_saved_model.variable"() {checkpoint_key = "c/.ATTRIBUTES/VARIABLE_VALUE"
// CHECK: "tf.StatefulPartitionedCall"(%{{.*}}, %[[HC:.*]]) {Tin = [f32, !tf_type.resource], Tout = [f32], _read_only_resource_inputs = [], f = @serve}
// CHECK: func.func @restore(
// CHECK: func.func @serve(%x: tensor<?x2xf32> loc("x"), %c: tensor<*x!tf_type.resource<tensor<2x3xf32>>> {tf_saved_model.bound_input = 2} loc("c"))
// CHECK-NEXT: "tf.Const"() {dtype = f32, {{.*}} loc("read_w")
// CHECK-NEXT: "tf.ReadVariableOp"(%c)
// CHECK: "tf.AssignAddVariableOp"(%c
// STATS: (S) 1 num-frozen-reads
// STATS: (S) 1 num-frozen-variables
// STATS: (S) 1 num-removed-arguments
// STATS: (S) 0 num-dropped-variables
// KEEP-LABEL: module
// KEEP: func.func @serve(%x: tensor<?x2xf32> loc("x"), %w: {{.*}} {tf_saved_model.bound_input = 1} loc("w"), %c: {{.*}} {tf_saved_model.bound_input = 2} loc("c"))
module attributes {tf_saved_model.tags = ["serve"]} {
  "tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, method_name = "tensorflow/serving/predict", input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<?x2xf32>) -> (tensor<?x3xf32>)
  "tf_saved_model.variable"() {sym_name = "w", name = "w", checkpoint_key = "w/.ATTRIBUTES/VARIABLE_VALUE", node_id = 1, trainable = true, value = dense<1.0> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  "tf_saved_model.variable"() {sym_name = "c", name = "c", checkpoint_key = "c/.ATTRIBUTES/VARIABLE_VALUE", node_id = 2, trainable = false, value = dense<0.0> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  tf.graph {
    %hw = "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2x3>, shared_name = "w"} : () -> tensor<!tf_type.resource> loc("w")
    %hc = "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2x3>, shared_name = "c"} : () -> tensor<!tf_type.resource> loc("c")
    %x = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<?x2>} : () -> tensor<?x2xf32> loc("serving_default_x")
    %y = "tf.StatefulPartitionedCall"(%x, %hw, %hc) {Tin = [f32, !tf_type.resource, !tf_type.resource], Tout = [f32], _read_only_resource_inputs = [1], f = @serve} : (tensor<?x2xf32>, tensor<!tf_type.resource>, tensor<!tf_type.resource>) -> tensor<?x3xf32> loc("StatefulPartitionedCall")
    %fn = "tf.Placeholder"() {dtype = !tf_type.string, shape = #tf_type.shape<>} : () -> tensor<!tf_type.string> loc("saver_filename")
    %r = "tf.StatefulPartitionedCall"(%fn, %hw, %hc) {Tin = [!tf_type.string, !tf_type.resource, !tf_type.resource], Tout = [!tf_type.string], f = @restore} : (tensor<!tf_type.string>, tensor<!tf_type.resource>, tensor<!tf_type.resource>) -> tensor<!tf_type.string> loc("StatefulPartitionedCall_2")
  }
  func.func @restore(%file_prefix: tensor<!tf_type.string>, %w: tensor<*x!tf_type.resource<tensor<2x3xf32>>>, %c: tensor<*x!tf_type.resource<tensor<2x3xf32>>>) -> (tensor<!tf_type.string> {tf.name = "identity"}) {
    %names = "tf.Const"() {dtype = !tf_type.string, value = dense<["w/.ATTRIBUTES/VARIABLE_VALUE", "c/.ATTRIBUTES/VARIABLE_VALUE"]> : tensor<2x!tf_type.string>} : () -> tensor<2x!tf_type.string> loc("RestoreV2/tensor_names")
    %slices = "tf.Const"() {dtype = !tf_type.string, value = dense<""> : tensor<2x!tf_type.string>} : () -> tensor<2x!tf_type.string> loc("RestoreV2/shape_and_slices")
    %v:2 = "tf.RestoreV2"(%file_prefix, %names, %slices) {dtypes = [f32, f32]} : (tensor<!tf_type.string>, tensor<2x!tf_type.string>, tensor<2x!tf_type.string>) -> (tensor<*xf32>, tensor<*xf32>) loc("RestoreV2")
    %a0 = "tf.AssignVariableOp"(%w, %v#0) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>, tensor<*xf32>) -> !tf_executor.control loc("AssignVariableOp")
    %a1 = "tf.AssignVariableOp"(%c, %v#1) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>, tensor<*xf32>) -> !tf_executor.control loc("AssignVariableOp_1")
    %out = "tf.Identity"(%file_prefix, %a0, %a1) {T = !tf_type.string} : (tensor<!tf_type.string>, !tf_executor.control, !tf_executor.control) -> tensor<!tf_type.string> loc("Identity")
    return %out : tensor<!tf_type.string>
  }
  func.func @serve(%x: tensor<?x2xf32>, %w: tensor<*x!tf_type.resource<tensor<2x3xf32>>> {tf_saved_model.bound_input = 1}, %c: tensor<*x!tf_type.resource<tensor<2x3xf32>>> {tf_saved_model.bound_input = 2}) -> (tensor<?x3xf32> {tf.name = "y"}) attributes {tf_saved_model.exported = true} {
    %rw = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>) -> tensor<2x3xf32> loc("read_w")
    %rc = "tf.ReadVariableOp"(%c) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>) -> tensor<2x3xf32> loc("read_c")
    %s = "tf.AddV2"(%rw, %rc) {T = f32} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32> loc("sum")
    %mw = "tf.MatMul"(%x, %s) {T = f32} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32> loc("mm")
    %inc = "tf.AssignAddVariableOp"(%c, %rw) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>, tensor<2x3xf32>) -> !tf_executor.control loc("inc")
    %y = "tf.Identity"(%mw, %inc) {T = f32} : (tensor<?x3xf32>, !tf_executor.control) -> tensor<?x3xf32> loc("y")
    return %y : tensor<?x3xf32>
  }
}

// -----
// A quantized (int8) variable freezes to an int8 constant of the same quantized type;
// ResourceGather becomes GatherV2 of the frozen value; a checkpoint that also saves a lookup
// table's keys keeps the model stateful (nothing dropped).
// CHECK-LABEL: module
// CHECK: "tf_saved_model.variable"() {checkpoint_key = "q/.ATTRIBUTES/VARIABLE_VALUE"
// CHECK: func.func @serve(%x: tensor<?x2xf32> loc("x"), %idx: tensor<?xi32> loc("idx")) -> (tensor<?x3xf32> {tf.name = "y"}, tensor<?x3xf32> {tf.name = "g"})
// CHECK-NEXT: %[[Q:.*]] = "tf.Const"() {dtype = i8, value = dense<{{\[}}[127, -64, 64], [32, 127, -127]]> : tensor<2x3x!quant.uniform<i8:f32, 0.5:0>>} : () -> tensor<2x3x!quant.uniform<i8:f32, 0.5:0>> loc("read_q")
// CHECK-NEXT: "tf.Cast"(%[[Q]])
// CHECK: %[[P:.*]] = "tf.Const"() {dtype = f32, {{.*}} loc("gather/frozen_params")
// CHECK-NEXT: %[[A:.*]] = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<i32> loc("gather/axis")
// CHECK-NEXT: "tf.GatherV2"(%[[P]], %idx, %[[A]]) {Taxis = i32, Tindices = i32, Tparams = f32, batch_dims = 0} : (tensor<2x3xf32>, tensor<?xi32>, tensor<i32>) -> tensor<?x3xf32> loc("gather")
// STATS: (S) 2 num-frozen-reads
// STATS: (S) 2 num-frozen-variables
// STATS: (S) 2 num-removed-arguments
// STATS: (S) 0 num-dropped-variables
// KEEP-LABEL: module
// KEEP: "tf.GatherV2"
module attributes {tf_saved_model.tags = ["serve"]} {
  "tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, method_name = "tensorflow/serving/predict", input_names = ["x", "idx"], input_tensors = ["serving_default_x:0", "serving_default_idx:0"], output_names = ["y", "g"], output_tensors = ["StatefulPartitionedCall:0", "StatefulPartitionedCall:1"]} : (tensor<?x2xf32>, tensor<?xi32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
  "tf_saved_model.variable"() {sym_name = "q", name = "q", checkpoint_key = "q/.ATTRIBUTES/VARIABLE_VALUE", node_id = 1, trainable = true, value = dense<[[127, -64, 64], [32, 127, -127]]> : tensor<2x3xi8>} : () -> tensor<2x3x!quant.uniform<i8:f32, 0.5:0>>
  "tf_saved_model.variable"() {sym_name = "e", name = "e", checkpoint_key = "e/.ATTRIBUTES/VARIABLE_VALUE", node_id = 2, trainable = true, value = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  func.func @save(%file_prefix: tensor<!tf_type.string>, %q: tensor<*x!tf_type.resource<tensor<2x3xi8>>>) -> (tensor<!tf_type.string> {tf.name = "identity"}) {
    %r0 = "tf.ReadVariableOp"(%q) {dtype = i8} : (tensor<*x!tf_type.resource<tensor<2x3xi8>>>) -> tensor<2x3xi8> loc("Read/ReadVariableOp")
    %keys = "tf.Const"() {dtype = !tf_type.string, value = dense<["a"]> : tensor<1x!tf_type.string>} : () -> tensor<1x!tf_type.string> loc("keys")
    %names = "tf.Const"() {dtype = !tf_type.string, value = dense<["q/.ATTRIBUTES/VARIABLE_VALUE", "table/.ATTRIBUTES/table-keys"]> : tensor<2x!tf_type.string>} : () -> tensor<2x!tf_type.string> loc("SaveV2/tensor_names")
    %slices = "tf.Const"() {dtype = !tf_type.string, value = dense<""> : tensor<2x!tf_type.string>} : () -> tensor<2x!tf_type.string> loc("SaveV2/shape_and_slices")
    %s = "tf.SaveV2"(%file_prefix, %names, %slices, %r0, %keys) {dtypes = [i8, !tf_type.string]} : (tensor<!tf_type.string>, tensor<2x!tf_type.string>, tensor<2x!tf_type.string>, tensor<2x3xi8>, tensor<1x!tf_type.string>) -> !tf_executor.control loc("SaveV2")
    %out = "tf.Identity"(%file_prefix, %s) {T = !tf_type.string} : (tensor<!tf_type.string>, !tf_executor.control) -> tensor<!tf_type.string> loc("Identity")
    return %out : tensor<!tf_type.string>
  }
  func.func @serve(%x: tensor<?x2xf32>, %idx: tensor<?xi32>, %q: tensor<*x!tf_type.resource<tensor<2x3xi8>>> {tf_saved_model.bound_input = 1}, %e: tensor<*x!tf_type.resource<tensor<2x3xf32>>> {tf_saved_model.bound_input = 2}) -> (tensor<?x3xf32> {tf.name = "y"}, tensor<?x3xf32> {tf.name = "g"}) attributes {tf_saved_model.exported = true} {
    %rq = "tf.ReadVariableOp"(%q) {dtype = i8} : (tensor<*x!tf_type.resource<tensor<2x3xi8>>>) -> tensor<2x3x!quant.uniform<i8:f32, 0.5:0>> loc("read_q")
    %cq = "tf.Cast"(%rq) {SrcT = i8, DstT = f32, Truncate = false} : (tensor<2x3x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<2x3xf32> loc("dequantize_cast")
    %half = "tf.Const"() {dtype = f32, value = dense<0.5> : tensor<f32>} : () -> tensor<f32> loc("scale")
    %w = "tf.Mul"(%cq, %half) {T = f32} : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32> loc("dequantize")
    %mw = "tf.MatMul"(%x, %w) {T = f32} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32> loc("mm")
    %g = "tf.ResourceGather"(%e, %idx) {Tindices = i32, dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x3xf32>>>, tensor<?xi32>) -> tensor<?x3xf32> loc("gather")
    return %mw, %g : tensor<?x3xf32>, tensor<?x3xf32>
  }
}
