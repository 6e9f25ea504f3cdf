// Per-weight overrides: REGEX:DIM or REGEX:replicate, matched (re.search) against the
// variable path (found through tf_saved_model.bound_input, also through callers) and the
// resource argument's name, or an input argument's name. The first match wins.
// RUN: smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a040102010122080000000000010000 overrides=^dense/kernel$:0,bias:replicate,^x$:0}' | filecheck %s
// RUN: smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a040102010122080000000000010000 overrides=kernel:replicate,dense/kernel:1,dense/bias:0}' | filecheck %s --check-prefix=FIRST

"tf_saved_model.variable"() {checkpoint_key = "k/.ATTRIBUTES/VARIABLE_VALUE", name = "kernel", node_id = 3, sym_name = "dense/kernel", trainable = true} : () -> tensor<16x32xf32>
"tf_saved_model.variable"() {checkpoint_key = "b/.ATTRIBUTES/VARIABLE_VALUE", name = "bias", node_id = 4, sym_name = "dense/bias", trainable = true} : () -> tensor<32xf32>

// CHECK-LABEL: func.func @tpu
// CHECK-NEXT: "tf.XlaSharding"(%x) {{.*}} smopt.sharding = "{devices=[2,1]0,1}"
// CHECK-NEXT: "tf.ReadVariableOp"(%resource)
// CHECK-NEXT: "tf.XlaSharding"(%1) {{.*}} smopt.sharding = "{devices=[2,1]0,1}"
// CHECK: "tf.ReadVariableOp"(%resource_1)
// CHECK-NEXT: "tf.XlaSharding"(%4) {{.*}} smopt.sharding = "{replicated}"

// FIRST-LABEL: func.func @tpu
// FIRST: "tf.ReadVariableOp"(%resource)
// FIRST-NEXT: "tf.XlaSharding"(%1) {{.*}} smopt.sharding = "{replicated}"
// FIRST: "tf.ReadVariableOp"(%resource_1)
// FIRST-NEXT: "tf.XlaSharding"(%4) {{.*}} smopt.sharding = "{devices=[2]0,1}"
func.func @tpu(%x: tensor<8x16xf32>, %resource: tensor<*x!tf_type.resource<tensor<16x32xf32>>>, %resource_1: tensor<*x!tf_type.resource<tensor<32xf32>>>) -> (tensor<8x32xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.ReadVariableOp"(%resource) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<16x32xf32>>>) -> tensor<16x32xf32> loc("MatMul/ReadVariableOp")
  %1 = "tf.MatMul"(%x, %0) {T = f32} : (tensor<8x16xf32>, tensor<16x32xf32>) -> tensor<8x32xf32> loc("MatMul")
  %2 = "tf.ReadVariableOp"(%resource_1) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<32xf32>>>) -> tensor<32xf32> loc("add/ReadVariableOp")
  %3 = "tf.AddV2"(%1, %2) {T = f32} : (tensor<8x32xf32>, tensor<32xf32>) -> tensor<8x32xf32> loc("add")
  return %3 : tensor<8x32xf32>
}

// The exported caller binds its resource arguments to the variables.
func.func @serve(%x: tensor<8x16xf32>, %k: tensor<*x!tf_type.resource<tensor<16x32xf32>>> {tf_saved_model.bound_input = 3}, %b: tensor<*x!tf_type.resource<tensor<32xf32>>> {tf_saved_model.bound_input = 4}) -> (tensor<8x32xf32> {tf.name = "y"}) attributes {tf_saved_model.exported = true} {
  %0 = "tf.StatefulPartitionedCall"(%x, %k, %b) {Tin = [f32, !tf_type.resource, !tf_type.resource], Tout = [f32], f = @tpu} : (tensor<8x16xf32>, tensor<*x!tf_type.resource<tensor<16x32xf32>>>, tensor<*x!tf_type.resource<tensor<32xf32>>>) -> tensor<8x32xf32> loc("call")
  return %0 : tensor<8x32xf32>
}
