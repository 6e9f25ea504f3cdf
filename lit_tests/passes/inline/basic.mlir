// RUN: smopt %s -p inline --split-input-file | filecheck %s

// The callee's body replaces the call; node names get the call's name as prefix.
func.func @callee(%a: tensor<f32>, %b: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.Mul"(%a, %b) {T = f32} : (tensor<f32>, tensor<f32>) -> tensor<f32> loc("mul")
  return %0 : tensor<f32>
}
// CHECK-LABEL: func.func @caller
// CHECK-NEXT: %0 = "tf.Mul"(%x, %x) {T = f32} : (tensor<f32>, tensor<f32>) -> tensor<f32> loc("call/mul")
// CHECK-NEXT: %1 = "tf.Relu"(%0)
// CHECK-NEXT: return %1
func.func @caller(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%x, %x) {Tin = [f32, f32], Tout = [f32], f = @callee} : (tensor<f32>, tensor<f32>) -> tensor<f32> loc("call")
  %1 = "tf.Relu"(%0) {T = f32} : (tensor<f32>) -> tensor<f32> loc("relu")
  return %1 : tensor<f32>
}

// -----
// Control semantics survive: the call's control inputs gate the inlined roots, and a NoOp
// named after the call stands for its completion (control outputs and result producers).
func.func @effects(%v: tensor<!tf_type.resource>, %a: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %c = "tf.AssignVariableOp"(%v, %a) {dtype = f32} : (tensor<!tf_type.resource>, tensor<f32>) -> !tf_executor.control loc("assign")
  %0 = "tf.Neg"(%a) {T = f32} : (tensor<f32>) -> tensor<f32> loc("neg")
  return %0, %c : tensor<f32>, !tf_executor.control
}
// CHECK-LABEL: func.func @user
// CHECK-NEXT: %ctl_0 = "tf.NoOp"() : () -> !tf_executor.control loc("before")
// CHECK-NEXT: %ctl_1 = "tf.AssignVariableOp"(%v, %x, %ctl_0) {{.*}} loc("call/assign")
// CHECK-NEXT: %0, %ctl_2 = "tf.Neg"(%x, %ctl_0) {{.*}} loc("call/neg")
// CHECK-NEXT: %ctl_3 = "tf.NoOp"(%ctl_1, %ctl_2) : (!tf_executor.control, !tf_executor.control) -> !tf_executor.control loc("call")
// CHECK-NEXT: %1 = "tf.Identity"(%0, %ctl_3)
// CHECK-NEXT: return %1, %ctl_3
func.func @user(%v: tensor<!tf_type.resource>, %x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %b = "tf.NoOp"() : () -> !tf_executor.control loc("before")
  %0, %c = "tf.StatefulPartitionedCall"(%v, %x, %b) {Tin = [!tf_type.resource, f32], Tout = [f32], f = @effects} : (tensor<!tf_type.resource>, tensor<f32>, !tf_executor.control) -> (tensor<f32>, !tf_executor.control) loc("call")
  %1 = "tf.Identity"(%0, %c) {T = f32} : (tensor<f32>, !tf_executor.control) -> tensor<f32> loc("after")
  return %1, %c : tensor<f32>, !tf_executor.control
}

// -----
// Not inlined: _noinline callees, XLA-compiled callees, aliased functions, recursion.
"tf_saved_model.alias"() {sym_name = "tpu_func", function = @aliased} : () -> ()
func.func @noinline(%a: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) attributes {_noinline = true} {
  return %a : tensor<f32>
}
func.func @xla(%a: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) attributes {_XlaMustCompile = true} {
  return %a : tensor<f32>
}
func.func @aliased(%a: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  return %a : tensor<f32>
}
func.func @rec(%a: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%a) {Tin = [f32], Tout = [f32], f = @rec} : (tensor<f32>) -> tensor<f32> loc("self")
  return %0 : tensor<f32>
}
// CHECK-LABEL: func.func @keep
// CHECK-NEXT: f = @noinline
// CHECK-NEXT: f = @xla
// CHECK-NEXT: f = @aliased
// CHECK-NEXT: f = @rec
func.func @keep(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @noinline} : (tensor<f32>) -> tensor<f32> loc("c0")
  %1 = "tf.PartitionedCall"(%0) {Tin = [f32], Tout = [f32], f = @xla} : (tensor<f32>) -> tensor<f32> loc("c1")
  %2 = "tf.PartitionedCall"(%1) {Tin = [f32], Tout = [f32], f = @aliased} : (tensor<f32>) -> tensor<f32> loc("c2")
  %3 = "tf.PartitionedCall"(%2) {Tin = [f32], Tout = [f32], f = @rec} : (tensor<f32>) -> tensor<f32> loc("c3")
  return %3 : tensor<f32>
}

// -----
// Nested calls are inlined up to max-depth rounds.
// RUN: smopt %s -p 'inline{max-depth=1}' --split-input-file | filecheck %s --check-prefix=DEPTH1
func.func @leaf(%a: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.Neg"(%a) {T = f32} : (tensor<f32>) -> tensor<f32> loc("neg")
  return %0 : tensor<f32>
}
func.func @mid(%a: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%a) {Tin = [f32], Tout = [f32], f = @leaf} : (tensor<f32>) -> tensor<f32> loc("to_leaf")
  return %0 : tensor<f32>
}
// CHECK-LABEL: func.func @top
// CHECK-NEXT: "tf.Neg"(%x) {{.*}} loc("to_mid/to_leaf/neg")
// DEPTH1-LABEL: func.func @top
// DEPTH1-NEXT: "tf.PartitionedCall"(%x) {{.*}} f = @leaf} {{.*}} loc("to_mid/to_leaf")
func.func @top(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @mid} : (tensor<f32>) -> tensor<f32> loc("to_mid")
  return %0 : tensor<f32>
}
