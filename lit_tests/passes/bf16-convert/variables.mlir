// RUN: smopt %s -p bf16-convert | filecheck %s
// RUN: smopt %s -p bf16-convert --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=STATS

// Variables read in scope are converted themselves when their value is known and every op
// touching them can follow: `w` is stored as bfloat16 (value rounded: 0.1 -> 0x3DCD), the
// main graph's VarHandleOp and read, every handle's subtype, every read and write (CPU
// reads get a Cast back to float32, CPU writes a Cast to bfloat16 unless the written value
// is a bfloat16 -> float32 Cast, whose exact round trip folds; an original CPU Cast of the
// read to bfloat16 disappears) and the save/restore functions' SaveV2/RestoreV2 dtypes and
// Identity chains. `nov` has no value to convert (IR text) and `opq` is updated by
// ResourceApplyGradientDescent: both stay float32 and are read through one Cast right after
// the ReadVariableOp. `cpu` is only read on the CPU: untouched. (The Mul of the bfloat16
// AddN and the Exp stays float32: the Exp is kept float32, and so is what it feeds.)

// CHECK: "tf_saved_model.variable"() {checkpoint_key = "w/.ATTRIBUTES/VARIABLE_VALUE", name = "w", node_id = 1, path = "w", trainable = true, type = tensor<2x2xbf16>, value = dense<"0x803FCD3D20C04040"> : tensor<2x2xbf16>} : () -> ()
// CHECK-NEXT: "tf_saved_model.variable"() {{.*}} path = "nov", {{.*}} : () -> ()
// CHECK-NEXT: "tf_saved_model.variable"() {{.*}} path = "opq", {{.*}} value = dense<1.0> : tensor<2x2xf32>} : () -> ()
// CHECK-NEXT: "tf_saved_model.variable"() {{.*}} path = "cpu", {{.*}} value = dense<1.0> : tensor<2x2xf32>} : () -> ()
// CHECK-LABEL: "tf.graph"() ({
// CHECK-NEXT: "tf.VarHandleOp"() {dtype = bf16, shape = #tf_type.shape<2x2>, shared_name = "w"}
// CHECK-NEXT: "tf.ReadVariableOp"(%0) {dtype = bf16} : (tensor<!tf_type.resource>) -> tensor<2x2xbf16> loc("w/Read/ReadVariableOp")
// CHECK-NEXT: "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2x2>, shared_name = "nov"}
// CHECK-NEXT: "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2x2>, shared_name = "opq"}
// CHECK-NEXT: "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2x2>, shared_name = "cpu"}

// STATS: (S) 1 num-casts-folded
// STATS: (S) 1 num-variables-converted
// STATS-NEXT: (S) 2 num-variables-kept

// CHECK-LABEL: func.func @tpu(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Cast"(%x) {DstT = bf16, SrcT = f32} : (tensor<2x2xf32>) -> tensor<2x2xbf16> loc("x/CastToBF16")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.ReadVariableOp"(%w) {dtype = bf16} : (tensor<*x!tf_type.resource<tensor<2x2xbf16>>>) -> tensor<2x2xbf16> loc("read_w")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.MatMul"([[V0]], [[V1]]) {T = bf16} : (tensor<2x2xbf16>, tensor<2x2xbf16>) -> tensor<2x2xbf16> loc("mm")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.ReadVariableOp"(%n) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> tensor<2x2xf32> loc("read_nov")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.Cast"([[V3]]) {DstT = bf16, SrcT = f32} : (tensor<2x2xf32>) -> tensor<2x2xbf16> loc("read_nov/CastToBF16")
// CHECK-NEXT: [[V5:%[0-9]+]] = "tf.ReadVariableOp"(%o) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> tensor<2x2xf32> loc("read_opq")
// CHECK-NEXT: [[V6:%[0-9]+]] = "tf.Cast"([[V5]]) {DstT = bf16, SrcT = f32} : (tensor<2x2xf32>) -> tensor<2x2xbf16> loc("read_opq/CastToBF16")
// CHECK-NEXT: [[V7:%[0-9]+]] = "tf.AddN"([[V2]], [[V4]], [[V6]]) {N = 3, T = bf16} : (tensor<2x2xbf16>, tensor<2x2xbf16>, tensor<2x2xbf16>) -> tensor<2x2xbf16> loc("sum")
// CHECK-NEXT: [[V8:%[0-9]+]] = "tf.Cast"([[V7]]) {DstT = f32, SrcT = bf16} : (tensor<2x2xbf16>) -> tensor<2x2xf32> loc("sum/CastToF32")
// CHECK-NEXT: [[V9:%[0-9]+]] = "tf.Exp"([[V3]]) {T = f32} : (tensor<2x2xf32>) -> tensor<2x2xf32> loc("exp")
// CHECK-NEXT: [[V10:%[0-9]+]] = "tf.Mul"([[V8]], [[V9]]) {T = f32} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> loc("mul")
// CHECK-NEXT: return [[V10]] : tensor<2x2xf32>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @serve(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.StatefulPartitionedCall"(%x, %w, %n, %o) {Tin = [f32, !tf_type.resource, !tf_type.resource, !tf_type.resource], Tout = [f32], f = @tpu} : (tensor<2x2xf32>, tensor<*x!tf_type.resource<tensor<2x2xbf16>>>, tensor<*x!tf_type.resource<tensor<2x2xf32>>>, tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> tensor<2x2xf32> loc("call_tpu")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.ReadVariableOp"(%w) {dtype = bf16} : (tensor<*x!tf_type.resource<tensor<2x2xbf16>>>) -> tensor<2x2xbf16> loc("cpu_read_w")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.Cast"([[V1]]) {DstT = f32, SrcT = bf16} : (tensor<2x2xbf16>) -> tensor<2x2xf32> loc("cpu_read_w/CastToF32")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.AddV2"([[V0]], [[V2]]) {T = f32} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> loc("cpu_add")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.Cast"([[V3]]) {DstT = bf16, SrcT = f32} : (tensor<2x2xf32>) -> tensor<2x2xbf16> loc("cpu_add/CastToBF16")
// CHECK-NEXT: [[V5:%[0-9]+]] = "tf.Relu"([[V1]]) {T = bf16} : (tensor<2x2xbf16>) -> tensor<2x2xbf16> loc("cpu_relu_bf16")
// CHECK-NEXT: [[V6:%[0-9]+]] = "tf.Cast"([[V5]]) {DstT = f32, SrcT = bf16} : (tensor<2x2xbf16>) -> tensor<2x2xf32> loc("cpu_to_f32")
// CHECK-NEXT: [[CTL0:%ctl_[0-9]+]] = "tf.AssignVariableOp"(%w, [[V5]]) {dtype = bf16} : (tensor<*x!tf_type.resource<tensor<2x2xbf16>>>, tensor<2x2xbf16>) -> !tf_executor.control loc("cpu_assign")
// CHECK-NEXT: [[CTL1:%ctl_[0-9]+]] = "tf.AssignVariableOp"(%w, [[V4]]) {dtype = bf16} : (tensor<*x!tf_type.resource<tensor<2x2xbf16>>>, tensor<2x2xbf16>) -> !tf_executor.control loc("cpu_assign_2")
// CHECK-NEXT: [[V7:%[0-9]+]] = "tf.Const"() {dtype = f32, value = dense<0.1> : tensor<f32>} : () -> tensor<f32> loc("lr")
// CHECK-NEXT: [[CTL2:%ctl_[0-9]+]] = "tf.ResourceApplyGradientDescent"(%o, [[V7]], [[V3]]) {T = f32} : (tensor<*x!tf_type.resource<tensor<2x2xf32>>>, tensor<f32>, tensor<2x2xf32>) -> !tf_executor.control loc("sgd")
// CHECK-NEXT: [[V8:%[0-9]+]] = "tf.ReadVariableOp"(%c) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> tensor<2x2xf32> loc("cpu_only_read")
// CHECK-NEXT: [[V9:%[0-9]+]] = "tf.AddV2"([[V3]], [[V8]]) {T = f32} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> loc("cpu_add_2")
// CHECK-NEXT: return [[V9]], [[CTL0]], [[CTL1]], [[CTL2]] : tensor<2x2xf32>, !tf_executor.control, !tf_executor.control, !tf_executor.control
// CHECK-NEXT: }
// CHECK-LABEL: func.func @__inference__traced_save_7(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.ReadVariableOp"(%w) {dtype = bf16} : (tensor<*x!tf_type.resource<tensor<2x2xbf16>>>) -> tensor<2x2xbf16> loc("Read/ReadVariableOp")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.Identity"([[V0]]) {T = bf16} : (tensor<2x2xbf16>) -> tensor<2x2xbf16> loc("Identity")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.Identity"([[V1]]) {T = bf16} : (tensor<2x2xbf16>) -> tensor<2x2xbf16> loc("Identity_1")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.Const"() {dtype = !tf_type.string, value = dense<["w/.ATTRIBUTES/VARIABLE_VALUE"]> : tensor<1x!tf_type.string>} : () -> tensor<1x!tf_type.string> loc("SaveV2/tensor_names")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.Const"() {dtype = !tf_type.string, value = dense<[""]> : tensor<1x!tf_type.string>} : () -> tensor<1x!tf_type.string> loc("SaveV2/shape_and_slices")
// CHECK-NEXT: [[CTL0:%ctl_[0-9]+]] = "tf.SaveV2"(%prefix, [[V3]], [[V4]], [[V2]]) {dtypes = [bf16]} : (tensor<!tf_type.string>, tensor<1x!tf_type.string>, tensor<1x!tf_type.string>, tensor<2x2xbf16>) -> !tf_executor.control loc("SaveV2")
// CHECK-NEXT: [[V5:%[0-9]+]] = "tf.Identity"(%prefix, [[CTL0]]) {T = !tf_type.string} : (tensor<!tf_type.string>, !tf_executor.control) -> tensor<!tf_type.string> loc("Identity_2")
// CHECK-NEXT: return [[V5]] : tensor<!tf_type.string>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @__inference__traced_restore_8(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Const"() {dtype = !tf_type.string, value = dense<["w/.ATTRIBUTES/VARIABLE_VALUE"]> : tensor<1x!tf_type.string>} : () -> tensor<1x!tf_type.string> loc("RestoreV2/tensor_names")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.Const"() {dtype = !tf_type.string, value = dense<[""]> : tensor<1x!tf_type.string>} : () -> tensor<1x!tf_type.string> loc("RestoreV2/shape_and_slices")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.RestoreV2"(%prefix, [[V0]], [[V1]]) {dtypes = [bf16]} : (tensor<!tf_type.string>, tensor<1x!tf_type.string>, tensor<1x!tf_type.string>) -> tensor<*xbf16> loc("RestoreV2")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.Identity"([[V2]]) {T = bf16} : (tensor<*xbf16>) -> tensor<*xbf16> loc("Identity")
// CHECK-NEXT: [[CTL0:%ctl_[0-9]+]] = "tf.AssignVariableOp"(%w, [[V3]]) {dtype = bf16} : (tensor<*x!tf_type.resource<tensor<2x2xbf16>>>, tensor<*xbf16>) -> !tf_executor.control loc("AssignVariableOp")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.Identity"(%prefix, [[CTL0]]) {T = !tf_type.string} : (tensor<!tf_type.string>, !tf_executor.control) -> tensor<!tf_type.string> loc("Identity_1")
// CHECK-NEXT: return [[V4]] : tensor<!tf_type.string>
// CHECK-NEXT: }

"tf_saved_model.signature"() {sym_name = "serving_default", function = @serve, method_name = "tensorflow/serving/predict", input_names = ["x"], input_tensors = ["serving_default_x:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : (tensor<2x2xf32>) -> (tensor<2x2xf32>)
"tf_saved_model.variable"() {sym_name = "w", name = "w", checkpoint_key = "w/.ATTRIBUTES/VARIABLE_VALUE", node_id = 1, trainable = true, value = dense<[[1.0, 0.1], [-2.5, 3.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
"tf_saved_model.variable"() {sym_name = "nov", name = "nov", checkpoint_key = "nov/.ATTRIBUTES/VARIABLE_VALUE", node_id = 2, trainable = true} : () -> tensor<2x2xf32>
"tf_saved_model.variable"() {sym_name = "opq", name = "opq", checkpoint_key = "opq/.ATTRIBUTES/VARIABLE_VALUE", node_id = 3, trainable = true, value = dense<1.0> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
"tf_saved_model.variable"() {sym_name = "cpu", name = "cpu", checkpoint_key = "cpu/.ATTRIBUTES/VARIABLE_VALUE", node_id = 4, trainable = true, value = dense<1.0> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
tf.graph {
  %w = "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2x2>, shared_name = "w"} : () -> tensor<!tf_type.resource> loc("w")
  %wr = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<!tf_type.resource>) -> tensor<2x2xf32> loc("w/Read/ReadVariableOp")
  %n = "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2x2>, shared_name = "nov"} : () -> tensor<!tf_type.resource> loc("nov")
  %o = "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2x2>, shared_name = "opq"} : () -> tensor<!tf_type.resource> loc("opq")
  %c = "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2x2>, shared_name = "cpu"} : () -> tensor<!tf_type.resource> loc("cpu")
  %x = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<2x2>} : () -> tensor<2x2xf32> loc("serving_default_x")
  %y = "tf.StatefulPartitionedCall"(%x, %w, %n, %o, %c) {Tin = [f32, !tf_type.resource, !tf_type.resource, !tf_type.resource, !tf_type.resource], Tout = [f32], f = @serve} : (tensor<2x2xf32>, tensor<!tf_type.resource>, tensor<!tf_type.resource>, tensor<!tf_type.resource>, tensor<!tf_type.resource>) -> tensor<2x2xf32> loc("StatefulPartitionedCall")
  %p = "tf.Placeholder"() {dtype = !tf_type.string, shape = #tf_type.shape<>} : () -> tensor<!tf_type.string> loc("saver_filename")
  %s = "tf.StatefulPartitionedCall"(%p, %w) {Tin = [!tf_type.string, !tf_type.resource], Tout = [!tf_type.string], f = @__inference__traced_save_7} : (tensor<!tf_type.string>, tensor<!tf_type.resource>) -> tensor<!tf_type.string> loc("StatefulPartitionedCall_1")
  %r = "tf.StatefulPartitionedCall"(%p, %w) {Tin = [!tf_type.string, !tf_type.resource], Tout = [!tf_type.string], f = @__inference__traced_restore_8} : (tensor<!tf_type.string>, tensor<!tf_type.resource>) -> tensor<!tf_type.string> loc("StatefulPartitionedCall_2")
}
func.func @tpu(%x: tensor<2x2xf32>, %w: tensor<*x!tf_type.resource<tensor<2x2xf32>>>, %n: tensor<*x!tf_type.resource<tensor<2x2xf32>>>, %o: tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> (tensor<2x2xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true, tf_saved_model.exported = true} {
  %0 = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> tensor<2x2xf32> loc("read_w")
  %1 = "tf.MatMul"(%x, %0) {T = f32} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> loc("mm")
  %2 = "tf.ReadVariableOp"(%n) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> tensor<2x2xf32> loc("read_nov")
  %3 = "tf.ReadVariableOp"(%o) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> tensor<2x2xf32> loc("read_opq")
  %4 = "tf.AddN"(%1, %2, %3) {N = 3, T = f32} : (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> loc("sum")
  %5 = "tf.Exp"(%2) {T = f32} : (tensor<2x2xf32>) -> tensor<2x2xf32> loc("exp")
  %6 = "tf.Mul"(%4, %5) {T = f32} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> loc("mul")
  return %6 : tensor<2x2xf32>
}
func.func @serve(%x: tensor<2x2xf32>, %w: tensor<*x!tf_type.resource<tensor<2x2xf32>>> {tf_saved_model.bound_input = 1}, %n: tensor<*x!tf_type.resource<tensor<2x2xf32>>> {tf_saved_model.bound_input = 2}, %o: tensor<*x!tf_type.resource<tensor<2x2xf32>>> {tf_saved_model.bound_input = 3}, %c: tensor<*x!tf_type.resource<tensor<2x2xf32>>> {tf_saved_model.bound_input = 4}) -> (tensor<2x2xf32> {tf.name = "y"}) attributes {tf_saved_model.exported = true} {
  %0 = "tf.StatefulPartitionedCall"(%x, %w, %n, %o) {Tin = [f32, !tf_type.resource, !tf_type.resource, !tf_type.resource], Tout = [f32], f = @tpu} : (tensor<2x2xf32>, tensor<*x!tf_type.resource<tensor<2x2xf32>>>, tensor<*x!tf_type.resource<tensor<2x2xf32>>>, tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> tensor<2x2xf32> loc("call_tpu")
  %1 = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> tensor<2x2xf32> loc("cpu_read_w")
  %2 = "tf.AddV2"(%0, %1) {T = f32} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> loc("cpu_add")
  %3 = "tf.Cast"(%1) {SrcT = f32, DstT = bf16} : (tensor<2x2xf32>) -> tensor<2x2xbf16> loc("cpu_to_bf16")
  %4 = "tf.Relu"(%3) {T = bf16} : (tensor<2x2xbf16>) -> tensor<2x2xbf16> loc("cpu_relu_bf16")
  %5 = "tf.Cast"(%4) {SrcT = bf16, DstT = f32} : (tensor<2x2xbf16>) -> tensor<2x2xf32> loc("cpu_to_f32")
  %ctl = "tf.AssignVariableOp"(%w, %5) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x2xf32>>>, tensor<2x2xf32>) -> !tf_executor.control loc("cpu_assign")
  %ctl2 = "tf.AssignVariableOp"(%w, %2) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x2xf32>>>, tensor<2x2xf32>) -> !tf_executor.control loc("cpu_assign_2")
  %lr = "tf.Const"() {dtype = f32, value = dense<0.1> : tensor<f32>} : () -> tensor<f32> loc("lr")
  %ctl3 = "tf.ResourceApplyGradientDescent"(%o, %lr, %2) {T = f32} : (tensor<*x!tf_type.resource<tensor<2x2xf32>>>, tensor<f32>, tensor<2x2xf32>) -> !tf_executor.control loc("sgd")
  %6 = "tf.ReadVariableOp"(%c) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> tensor<2x2xf32> loc("cpu_only_read")
  %7 = "tf.AddV2"(%2, %6) {T = f32} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> loc("cpu_add_2")
  return %7, %ctl, %ctl2, %ctl3 : tensor<2x2xf32>, !tf_executor.control, !tf_executor.control, !tf_executor.control
}
func.func @__inference__traced_save_7(%prefix: tensor<!tf_type.string>, %w: tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> (tensor<!tf_type.string> {tf.name = "r"}) {
  %0 = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> tensor<2x2xf32> loc("Read/ReadVariableOp")
  %1 = "tf.Identity"(%0) {T = f32} : (tensor<2x2xf32>) -> tensor<2x2xf32> loc("Identity")
  %2 = "tf.Identity"(%1) {T = f32} : (tensor<2x2xf32>) -> tensor<2x2xf32> loc("Identity_1")
  %k = "tf.Const"() {dtype = !tf_type.string, value = dense<["w/.ATTRIBUTES/VARIABLE_VALUE"]> : tensor<1x!tf_type.string>} : () -> tensor<1x!tf_type.string> loc("SaveV2/tensor_names")
  %sl = "tf.Const"() {dtype = !tf_type.string, value = dense<[""]> : tensor<1x!tf_type.string>} : () -> tensor<1x!tf_type.string> loc("SaveV2/shape_and_slices")
  %ctl = "tf.SaveV2"(%prefix, %k, %sl, %2) {dtypes = [f32]} : (tensor<!tf_type.string>, tensor<1x!tf_type.string>, tensor<1x!tf_type.string>, tensor<2x2xf32>) -> !tf_executor.control loc("SaveV2")
  %3 = "tf.Identity"(%prefix, %ctl) {T = !tf_type.string} : (tensor<!tf_type.string>, !tf_executor.control) -> tensor<!tf_type.string> loc("Identity_2")
  return %3 : tensor<!tf_type.string>
}
func.func @__inference__traced_restore_8(%prefix: tensor<!tf_type.string>, %w: tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> (tensor<!tf_type.string> {tf.name = "r"}) {
  %k = "tf.Const"() {dtype = !tf_type.string, value = dense<["w/.ATTRIBUTES/VARIABLE_VALUE"]> : tensor<1x!tf_type.string>} : () -> tensor<1x!tf_type.string> loc("RestoreV2/tensor_names")
  %sl = "tf.Const"() {dtype = !tf_type.string, value = dense<[""]> : tensor<1x!tf_type.string>} : () -> tensor<1x!tf_type.string> loc("RestoreV2/shape_and_slices")
  %0 = "tf.RestoreV2"(%prefix, %k, %sl) {dtypes = [f32]} : (tensor<!tf_type.string>, tensor<1x!tf_type.string>, tensor<1x!tf_type.string>) -> tensor<*xf32> loc("RestoreV2")
  %1 = "tf.Identity"(%0) {T = f32} : (tensor<*xf32>) -> tensor<*xf32> loc("Identity")
  %ctl = "tf.AssignVariableOp"(%w, %1) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x2xf32>>>, tensor<*xf32>) -> !tf_executor.control loc("AssignVariableOp")
  %2 = "tf.Identity"(%prefix, %ctl) {T = !tf_type.string} : (tensor<!tf_type.string>, !tf_executor.control) -> tensor<!tf_type.string> loc("Identity_1")
  return %2 : tensor<!tf_type.string>
}
