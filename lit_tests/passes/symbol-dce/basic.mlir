// RUN: smopt %s -p symbol-dce | filecheck %s
// RUN: smopt %s -p 'symbol-dce{keep-exported=false}' | filecheck %s --check-prefix=NOEXP
// RUN: smopt %s -p 'symbol-dce{keep-exported=false keep=exported2,no_such_function}' | filecheck %s --check-prefix=KEEP

// Roots: the graph, signatures, aliases and exported functions; whatever they reach stays.
"tf_saved_model.signature"() {sym_name = "serving_default", function = @sig, method_name = "", input_names = [], input_tensors = [], output_names = [], output_tensors = []} : () -> ()
"tf_saved_model.alias"() {sym_name = "tpu_func", function = @aliased} : () -> ()
tf.graph {
  "tf.StatefulPartitionedCall"() {Tin = [], Tout = [], f = @from_graph} : () -> () loc("call")
}
// CHECK-DAG: func.func @sig
// CHECK-DAG: func.func @branch
// CHECK-DAG: func.func @aliased
// CHECK-DAG: func.func @from_graph
// CHECK-DAG: func.func @exported
// CHECK-NOT: func.func @dead
// NOEXP-NOT: func.func @exported
// NOEXP-NOT: func.func @dead
// `keep` names roots that stay whatever keep-exported says (names not in the module: ignored).
// KEEP-NOT: func.func @exported(
// KEEP: func.func @exported2
// KEEP-NEXT: tf.PartitionedCall{{.*}}@kept_callee
// KEEP: func.func @kept_callee
// KEEP-NOT: func.func @dead
func.func @sig() -> () {
  %c = "tf.Const"() {dtype = i1, value = dense<true> : tensor<i1>} : () -> tensor<i1> loc("c")
  "tf.If"(%c) {Tcond = i1, else_branch = @branch, then_branch = @branch, Tin = [], Tout = [], is_stateless = true} : (tensor<i1>) -> () loc("if")
  return
}
func.func @branch() -> () {
  return
}
func.func @aliased() -> () {
  return
}
func.func @from_graph() -> () {
  return
}
func.func @exported() -> () attributes {tf_saved_model.exported = true} {
  return
}
func.func @exported2() -> () attributes {tf_saved_model.exported = true} {
  "tf.PartitionedCall"() {Tin = [], Tout = [], f = @kept_callee} : () -> () loc("c")
  return
}
func.func @kept_callee() -> () {
  return
}
func.func @dead() -> () {
  "tf.PartitionedCall"() {Tin = [], Tout = [], f = @dead_too} : () -> () loc("c")
  return
}
func.func @dead_too() -> () {
  return
}
