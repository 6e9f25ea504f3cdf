// RUN: smopt %s -p 'bf16-convert{scope=all}' | filecheck %s

// One variable, two handles (as Keras 3 exports write them): the functions capture the
// handle of node 1 (`variables/0`), whose checkpoint entry the save function writes from
// another VarHandleOp, which the graph initializes from the first and whose own entry is
// `_all_variables/0`. Handles that share a variable and the variables they carry form one
// component, converted together: both values, both handles, the graph's initializer and
// every SaveV2 entry agree on bfloat16.
// CHECK: "tf_saved_model.variable"() {checkpoint_key = "variables/0/.ATTRIBUTES/VARIABLE_VALUE", {{.*}} value = dense<"0xC03F9ABE"> : tensor<2xbf16>} : () -> ()
// CHECK-NEXT: "tf_saved_model.variable"() {checkpoint_key = "_all_variables/0/.ATTRIBUTES/VARIABLE_VALUE", {{.*}} value = dense<"0xC03F9ABE"> : tensor<2xbf16>} : () -> ()
// CHECK-LABEL: "tf.graph"() ({
// CHECK-NEXT: %0 = "tf.VarHandleOp"() {dtype = bf16, shape = #tf_type.shape<2>, shared_name = "kernel"}
// CHECK-NEXT: %1 = "tf.VarHandleOp"() {dtype = bf16, shape = #tf_type.shape<2>, shared_name = "Variable"}
// CHECK-NEXT: %2 = "tf.ReadVariableOp"(%0) {dtype = bf16} : (tensor<!tf_type.resource>) -> tensor<2xbf16> loc("Variable/Initializer/ReadVariableOp")
// CHECK-NEXT: "tf.AssignVariableOp"(%1, %2) {dtype = bf16} : (tensor<!tf_type.resource>, tensor<2xbf16>) -> () loc("Variable/Assign")
// CHECK-LABEL: func.func @serve(%x: tensor<2xf32> loc("x"), %k: tensor<*x!tf_type.resource<tensor<2xbf16>>> {tf_saved_model.bound_input = 1} loc("k"))
// CHECK: "tf.ReadVariableOp"(%k) {dtype = bf16}
// CHECK: "tf.Einsum"(%0, %1) {N = 2, T = bf16
// CHECK-LABEL: func.func @__inference__traced_save_5(%prefix: tensor<!tf_type.string> loc("prefix"), %v0: tensor<*x!tf_type.resource<tensor<2xbf16>>> loc("v0"), %v1: tensor<*x!tf_type.resource<tensor<2xbf16>>> loc("v1"))
// CHECK-NEXT: %0 = "tf.ReadVariableOp"(%v0) {dtype = bf16}
// CHECK-NEXT: %1 = "tf.ReadVariableOp"(%v1) {dtype = bf16}
// CHECK: "tf.SaveV2"(%prefix, %2, %3, %0, %1) {dtypes = [bf16, bf16]} : (tensor<!tf_type.string>, tensor<2x!tf_type.string>, tensor<2x!tf_type.string>, tensor<2xbf16>, tensor<2xbf16>)

"tf_saved_model.variable"() {sym_name = "variables/0", name = "kernel", checkpoint_key = "variables/0/.ATTRIBUTES/VARIABLE_VALUE", node_id = 1, trainable = true, value = dense<[1.5, -0.3]> : tensor<2xf32>} : () -> tensor<2xf32>
"tf_saved_model.variable"() {sym_name = "_all_variables/0", name = "kernel", checkpoint_key = "_all_variables/0/.ATTRIBUTES/VARIABLE_VALUE", node_id = 2, trainable = true, value = dense<[1.5, -0.3]> : tensor<2xf32>} : () -> tensor<2xf32>
tf.graph {
  %a = "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2>, shared_name = "kernel"} : () -> tensor<!tf_type.resource> loc("kernel")
  %b = "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2>, shared_name = "Variable"} : () -> tensor<!tf_type.resource> loc("Variable")
  %r = "tf.ReadVariableOp"(%a) {dtype = f32} : (tensor<!tf_type.resource>) -> tensor<2xf32> loc("Variable/Initializer/ReadVariableOp")
  "tf.AssignVariableOp"(%b, %r) {dtype = f32} : (tensor<!tf_type.resource>, tensor<2xf32>) -> () loc("Variable/Assign")
  %x = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<2>} : () -> tensor<2xf32> loc("serving_default_x")
  %y = "tf.StatefulPartitionedCall"(%x, %a) {Tin = [f32, !tf_type.resource], Tout = [f32], f = @serve} : (tensor<2xf32>, tensor<!tf_type.resource>) -> tensor<2xf32> loc("StatefulPartitionedCall")
  %p = "tf.Placeholder"() {dtype = !tf_type.string, shape = #tf_type.shape<>} : () -> tensor<!tf_type.string> loc("saver_filename")
  %s = "tf.StatefulPartitionedCall"(%p, %b, %a) {Tin = [!tf_type.string, !tf_type.resource, !tf_type.resource], Tout = [!tf_type.string], f = @__inference__traced_save_5} : (tensor<!tf_type.string>, tensor<!tf_type.resource>, tensor<!tf_type.resource>) -> tensor<!tf_type.string> loc("StatefulPartitionedCall_1")
}
func.func @serve(%x: tensor<2xf32>, %k: tensor<*x!tf_type.resource<tensor<2xf32>>> {tf_saved_model.bound_input = 1}) -> (tensor<2xf32> {tf.name = "y"}) attributes {tf_saved_model.exported = true} {
  %0 = "tf.ReadVariableOp"(%k) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2xf32>>>) -> tensor<2xf32> loc("read")
  %1 = "tf.Einsum"(%x, %0) {N = 2 : i64, T = f32, equation = "i,i->i"} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32> loc("mul")
  return %1 : tensor<2xf32>
}
func.func @__inference__traced_save_5(%prefix: tensor<!tf_type.string>, %v0: tensor<*x!tf_type.resource<tensor<2xf32>>>, %v1: tensor<*x!tf_type.resource<tensor<2xf32>>>) -> (tensor<!tf_type.string> {tf.name = "r"}) {
  %0 = "tf.ReadVariableOp"(%v0) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2xf32>>>) -> tensor<2xf32> loc("Read/ReadVariableOp")
  %1 = "tf.ReadVariableOp"(%v1) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2xf32>>>) -> tensor<2xf32> loc("Read_1/ReadVariableOp")
  %k = "tf.Const"() {dtype = !tf_type.string, value = dense<["variables/0/.ATTRIBUTES/VARIABLE_VALUE", "_all_variables/0/.ATTRIBUTES/VARIABLE_VALUE"]> : tensor<2x!tf_type.string>} : () -> tensor<2x!tf_type.string> loc("SaveV2/tensor_names")
  %sl = "tf.Const"() {dtype = !tf_type.string, value = dense<["", ""]> : tensor<2x!tf_type.string>} : () -> tensor<2x!tf_type.string> loc("SaveV2/shape_and_slices")
  %ctl = "tf.SaveV2"(%prefix, %k, %sl, %0, %1) {dtypes = [f32, f32]} : (tensor<!tf_type.string>, tensor<2x!tf_type.string>, tensor<2x!tf_type.string>, tensor<2xf32>, tensor<2xf32>) -> !tf_executor.control loc("SaveV2")
  %2 = "tf.Identity"(%prefix, %ctl) {T = !tf_type.string} : (tensor<!tf_type.string>, !tf_executor.control) -> tensor<!tf_type.string> loc("Identity")
  return %2 : tensor<!tf_type.string>
}
