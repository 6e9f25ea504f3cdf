// RUN: smopt %s -p xla-cluster --split-input-file | filecheck %s

// An If whose branches compile joins the cluster of its neighbours; its branches are
// compiled as part of that cluster and are not clustered themselves.
func.func @then(%a: tensor<4xf32>) -> (tensor<4xf32> {tf.name = "r"}) {
  %0 = "tf.Relu"(%a) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("t1")
  %1 = "tf.Tanh"(%0) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("t2")
  %2 = "tf.Sqrt"(%1) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("t3")
  %3 = "tf.Exp"(%2) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("t4")
  return %3 : tensor<4xf32>
}
func.func @else(%a: tensor<4xf32>) -> (tensor<4xf32> {tf.name = "r"}) {
  %0 = "tf.Neg"(%a) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("e1")
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @then
// CHECK-NEXT: "tf.Relu"
// CHECK-LABEL: func.func @cond
// CHECK-NEXT: %0 = "tf.StatefulPartitionedCall"(%x, %p) {{.*}}f = @cond_xla_cluster_0}
// CHECK-NEXT: return %0
// CHECK-LABEL: func.func @cond_xla_cluster_0
// CHECK-NEXT: "tf.Relu"
// CHECK-NEXT: "tf.If"(%arg_1, %0) {{.*}}else_branch = @else{{.*}}then_branch = @then
// CHECK-NEXT: "tf.Neg"
// CHECK-NEXT: return
func.func @cond(%x: tensor<4xf32>, %p: tensor<i1>) -> (tensor<4xf32> {tf.name = "r"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("before")
  %1 = "tf.If"(%p, %0) {Tcond = i1, Tin = [f32], Tout = [f32], else_branch = @else, then_branch = @then, is_stateless = true} : (tensor<i1>, tensor<4xf32>) -> tensor<4xf32> loc("if")
  %2 = "tf.Neg"(%1) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("after")
  return %2 : tensor<4xf32>
}

// -----
// A While whose body holds a string op is not compilable; its body is clustered on its own.
func.func @wcond(%i: tensor<i32>, %v: tensor<4xf32>) -> (tensor<i1> {tf.name = "r"}) {
  %c = "tf.Const"() {dtype = i32, value = dense<3> : tensor<i32>} : () -> tensor<i32> loc("limit")
  %0 = "tf.Less"(%i, %c) {T = i32} : (tensor<i32>, tensor<i32>) -> tensor<i1> loc("less")
  return %0 : tensor<i1>
}
// CHECK-LABEL: func.func @wbody
// CHECK-NEXT: "tf.Const"
// CHECK-NEXT: "tf.AddV2"
// CHECK-NEXT: "tf.AsString"
// CHECK-NEXT: "tf.StringToNumber"
// CHECK-NEXT: %4 = "tf.PartitionedCall"(%3) {{.*}}f = @wbody_xla_cluster_0}
// CHECK-NEXT: return %1, %4
// CHECK-LABEL: func.func @loop
// CHECK-NEXT: "tf.Const"
// CHECK-NEXT: "tf.While"
// CHECK-NEXT: return
func.func @wbody(%i: tensor<i32>, %v: tensor<4xf32>) -> (tensor<i32> {tf.name = "i"}, tensor<4xf32> {tf.name = "v"}) {
  %c = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("one")
  %0 = "tf.AddV2"(%i, %c) {T = i32} : (tensor<i32>, tensor<i32>) -> tensor<i32> loc("inc")
  %s = "tf.AsString"(%v) {T = f32} : (tensor<4xf32>) -> tensor<4x!tf_type.string> loc("str")
  %n = "tf.StringToNumber"(%s) {out_type = f32} : (tensor<4x!tf_type.string>) -> tensor<4xf32> loc("num")
  %1 = "tf.Relu"(%n) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("b1")
  %2 = "tf.Tanh"(%1) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("b2")
  %3 = "tf.Sqrt"(%2) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("b3")
  %4 = "tf.Exp"(%3) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("b4")
  return %0, %4 : tensor<i32>, tensor<4xf32>
}
func.func @loop(%x: tensor<4xf32>) -> (tensor<4xf32> {tf.name = "r"}) {
  %c = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<i32> loc("zero")
  %0:2 = "tf.While"(%c, %x) {T = [i32, f32], body = @wbody, cond = @wcond, is_stateless = true, parallel_iterations = 10} : (tensor<i32>, tensor<4xf32>) -> (tensor<i32>, tensor<4xf32>) loc("while")
  return %0#1 : tensor<4xf32>
}

// -----
// Calls: a callee with an uncompilable op, or a recursive one, keeps its call out.
func.func @uncompilable(%a: tensor<4xf32>) -> (tensor<4xf32> {tf.name = "r"}) {
  %0 = "tf.Print"(%a, %a) {T = f32, U = [f32]} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("print")
  return %0 : tensor<4xf32>
}
func.func @rec(%a: tensor<4xf32>) -> (tensor<4xf32> {tf.name = "r"}) {
  %0 = "tf.PartitionedCall"(%a) {Tin = [f32], Tout = [f32], f = @rec} : (tensor<4xf32>) -> tensor<4xf32> loc("self")
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @calls
// CHECK-NEXT: "tf.PartitionedCall"(%x) {{.*}}f = @calls_xla_cluster_0}
// CHECK-NEXT: "tf.StatefulPartitionedCall"{{.*}}f = @uncompilable}
// CHECK-NEXT: "tf.PartitionedCall"{{.*}}f = @rec}
// CHECK-NEXT: return
func.func @calls(%x: tensor<4xf32>) -> (tensor<4xf32> {tf.name = "r"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a1")
  %1 = "tf.Tanh"(%0) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a2")
  %2 = "tf.Sqrt"(%1) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a3")
  %3 = "tf.Exp"(%2) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a4")
  %4 = "tf.StatefulPartitionedCall"(%3) {Tin = [f32], Tout = [f32], f = @uncompilable} : (tensor<4xf32>) -> tensor<4xf32> loc("c1")
  %5 = "tf.PartitionedCall"(%4) {Tin = [f32], Tout = [f32], f = @rec} : (tensor<4xf32>) -> tensor<4xf32> loc("c2")
  return %5 : tensor<4xf32>
}

// -----
// Control dependencies: a control input into a member becomes a control input of the call;
// whoever waited on a member (an op or the function's control outputs) waits on the call;
// the cluster function returns that member as a control output. Variable reads join the
// cluster (the handle becomes an argument of a StatefulPartitionedCall); writes stay out.
// CHECK-LABEL: func.func @deps
// CHECK-NEXT: %ctl_0 = "tf.AssignVariableOp"(%v, %x)
// CHECK-NEXT: %0, %ctl_1 = "tf.StatefulPartitionedCall"(%v, %x, %ctl_0) {Tin = [!tf_type.resource, f32], Tout = [f32], _XlaMustCompile = true, f = @deps_xla_cluster_0}
// CHECK-NEXT: %ctl_2 = "tf.AssignVariableOp"(%v, %0, %ctl_1)
// CHECK-NEXT: return %0, %ctl_1, %ctl_2
// CHECK-LABEL: func.func @deps_xla_cluster_0(%arg_0: tensor<!tf_type.resource<tensor<4xf32>>> loc("arg_0"), %arg_1: tensor<4xf32> loc("arg_1"))
// CHECK-NEXT: %0 = "tf.ReadVariableOp"(%arg_0) {{.*}} loc("read")
// CHECK-NEXT: %1 = "tf.AddV2"(%0, %arg_1)
// CHECK-NEXT: %2, %ctl_0 = "tf.Tanh"(%1)
// CHECK-NEXT: %3 = "tf.Sqrt"(%2)
// CHECK-NEXT: %4 = "tf.Exp"(%3)
// CHECK-NEXT: return %4, %ctl_0
func.func @deps(%v: tensor<!tf_type.resource<tensor<4xf32>>>, %x: tensor<4xf32>) -> (tensor<4xf32> {tf.name = "r"}) {
  %w = "tf.AssignVariableOp"(%v, %x) {dtype = f32} : (tensor<!tf_type.resource<tensor<4xf32>>>, tensor<4xf32>) -> !tf_executor.control loc("init")
  %0 = "tf.ReadVariableOp"(%v, %w) {dtype = f32} : (tensor<!tf_type.resource<tensor<4xf32>>>, !tf_executor.control) -> tensor<4xf32> loc("read")
  %1 = "tf.AddV2"(%0, %x) {T = f32} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("a1")
  %2, %c2 = "tf.Tanh"(%1) {T = f32} : (tensor<4xf32>) -> (tensor<4xf32>, !tf_executor.control) loc("a2")
  %3 = "tf.Sqrt"(%2) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a3")
  %4 = "tf.Exp"(%3) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a4")
  %u = "tf.AssignVariableOp"(%v, %4, %c2) {dtype = f32} : (tensor<!tf_type.resource<tensor<4xf32>>>, tensor<4xf32>, !tf_executor.control) -> !tf_executor.control loc("update")
  return %4, %c2, %u : tensor<4xf32>, !tf_executor.control, !tf_executor.control
}

// -----
// A control edge can create a cycle too: b1 waits (control) on an op that needs a4.
// CHECK-LABEL: func.func @control_cycle
// CHECK-NEXT: %0 = "tf.PartitionedCall"(%x) {{.*}}f = @control_cycle_xla_cluster_0}
// CHECK-NEXT: %ctl_0 = "tf.AssignVariableOp"(%v, %0)
// CHECK-NEXT: %1 = "tf.PartitionedCall"(%0, %ctl_0) {{.*}}f = @control_cycle_xla_cluster_1}
// CHECK-NEXT: return %1
func.func @control_cycle(%v: tensor<!tf_type.resource<tensor<4xf32>>>, %x: tensor<4xf32>) -> (tensor<4xf32> {tf.name = "r"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a1")
  %1 = "tf.Tanh"(%0) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a2")
  %2 = "tf.Sqrt"(%1) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a3")
  %3 = "tf.Exp"(%2) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a4")
  %w = "tf.AssignVariableOp"(%v, %3) {dtype = f32} : (tensor<!tf_type.resource<tensor<4xf32>>>, tensor<4xf32>) -> !tf_executor.control loc("write")
  %4 = "tf.Relu"(%3, %w) {T = f32} : (tensor<4xf32>, !tf_executor.control) -> tensor<4xf32> loc("b1")
  %5 = "tf.Tanh"(%4) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("b2")
  %6 = "tf.Sqrt"(%5) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("b3")
  %7 = "tf.Exp"(%6) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("b4")
  return %7 : tensor<4xf32>
}

// -----
// device=gpu: an op pinned to the CPU is not a GPU candidate (with device=cpu it is).
// RUN: smopt %s -p 'xla-cluster{device=gpu}' --split-input-file | filecheck %s --check-prefix=GPU
// GPU-LABEL: func.func @pinned
// GPU-NEXT: "tf.PartitionedCall"(%x) {{.*}}f = @pinned_xla_cluster_0}
// GPU-NEXT: "tf.Sqrt"{{.*}}device = "/device:CPU:0"
// GPU-NEXT: "tf.PartitionedCall"
// CHECK-LABEL: func.func @pinned
// CHECK-NEXT: "tf.PartitionedCall"(%x) {{.*}}f = @pinned_xla_cluster_0}
// CHECK-NEXT: return
func.func @pinned(%x: tensor<4xf32>) -> (tensor<4xf32> {tf.name = "r"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a1")
  %1 = "tf.Tanh"(%0) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a2")
  %2 = "tf.Neg"(%1) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a3")
  %3 = "tf.Exp"(%2) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a4")
  %4 = "tf.Sqrt"(%3) {T = f32, device = "/device:CPU:0"} : (tensor<4xf32>) -> tensor<4xf32> loc("host")
  %5 = "tf.Relu"(%4) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("b1")
  %6 = "tf.Tanh"(%5) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("b2")
  %7 = "tf.Neg"(%6) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("b3")
  %8 = "tf.Exp"(%7) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("b4")
  return %8 : tensor<4xf32>
}

// -----
// RUN: not smopt %s -p 'xla-cluster{min-cluster-size=-1}' 2>&1 | filecheck %s --check-prefix=ERR
// ERR: smopt: error: pass 'xla-cluster' failed: min-cluster-size and max-cluster-size must not be negative (got -1 and 0)
