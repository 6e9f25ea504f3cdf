// RUN: smopt %s -p dce --split-input-file | filecheck %s

// Unused pure chains go; stateful ops, returned values and control dependencies stay.
// CHECK-LABEL: func.func @f
// CHECK-NEXT: %0 = "tf.Const"() {{.*}} loc("used")
// CHECK-NEXT: %ctl_0 = "tf.AssignVariableOp"
// CHECK-NEXT: "tf.Print"
// CHECK-NEXT: %2, %ctl_1 = "tf.Const"() {{.*}} loc("ordering")
// CHECK-NEXT: %3 = "tf.Identity"(%0, %ctl_1)
// CHECK-NEXT: return %3, %ctl_0
func.func @f(%v: tensor<!tf_type.resource>, %x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %used = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<f32>} : () -> tensor<f32> loc("used")
  %a = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<f32>} : () -> tensor<f32> loc("dead_a")
  %b = "tf.Mul"(%a, %x) {T = f32} : (tensor<f32>, tensor<f32>) -> tensor<f32> loc("dead_b")
  %c = "tf.Relu"(%b) {T = f32} : (tensor<f32>) -> tensor<f32> loc("dead_c")
  %ctl = "tf.AssignVariableOp"(%v, %x) {dtype = f32} : (tensor<!tf_type.resource>, tensor<f32>) -> !tf_executor.control loc("assign")
  %p = "tf.Print"(%x, %x) {T = f32, U = [f32]} : (tensor<f32>, tensor<f32>) -> tensor<f32> loc("print")
  %o, %octl = "tf.Const"() {dtype = f32, value = dense<3.0> : tensor<f32>} : () -> (tensor<f32>, !tf_executor.control) loc("ordering")
  %r = "tf.Identity"(%used, %octl) {T = f32} : (tensor<f32>, !tf_executor.control) -> tensor<f32> loc("r")
  return %r, %ctl : tensor<f32>, !tf_executor.control
}

// -----
// A call is as pure as its callee: an unused call of a pure function goes, of a stateful one stays.
func.func @pure(%a: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.Neg"(%a) {T = f32} : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func @impure(%a: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %s = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<1xi32>
  %0 = "tf.RandomUniform"(%s) {T = i32, dtype = f32} : (tensor<1xi32>) -> tensor<1xf32>
  %1 = "tf.Sum"(%0, %s) {T = f32, Tidx = i32, keep_dims = false} : (tensor<1xf32>, tensor<1xi32>) -> tensor<f32>
  return %1 : tensor<f32>
}
// CHECK-LABEL: func.func @caller
// CHECK-NOT: @pure
// CHECK: "tf.StatefulPartitionedCall"(%x) {{.*}}f = @impure
// CHECK-NEXT: return %x
func.func @caller(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @pure} : (tensor<f32>) -> tensor<f32> loc("p")
  %1 = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @impure} : (tensor<f32>) -> tensor<f32> loc("i")
  return %x : tensor<f32>
}

// -----
// The main graph is never pruned: signatures and the saver fetch its nodes by name.
// CHECK: "tf.graph"() ({
// CHECK-NEXT: "tf.Const"() {{.*}} loc("unused_in_graph")
tf.graph {
  %0 = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<f32>} : () -> tensor<f32> loc("unused_in_graph")
}
