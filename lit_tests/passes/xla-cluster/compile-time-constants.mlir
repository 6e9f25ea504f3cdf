// RUN: smopt %s -p xla-cluster --split-input-file | filecheck %s

// XLA needs some operands as compile-time constants (Range's limit, Reshape's shape, ...).
// A Range whose limit is computed from run-time data (a Max over the values) would make its
// cluster uncompilable, so the Range stays outside; the data ops before it are clustered
// (the three after it are below the minimum cluster size).
// CHECK-LABEL: func.func @data_dependent(
// CHECK: "tf.PartitionedCall"(%x) {{.*}} loc("xla_cluster_0")
// CHECK-NEXT: "tf.Range"({{.*}}) {{.*}} loc("range")
// CHECK-LABEL: func.func @data_dependent_xla_cluster_0(
// CHECK-NOT: "tf.Range"
// CHECK: "tf.Max"
// CHECK-NOT: "tf.Range"
// CHECK: return
func.func @data_dependent(%x: tensor<?xf32>) -> (tensor<?xf32> {tf.name = "r"}) {
  %zero = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<i32> loc("zero")
  %one = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("one")
  %a = "tf.Abs"(%x) {T = f32} : (tensor<?xf32>) -> tensor<?xf32> loc("abs")
  %e = "tf.Exp"(%a) {T = f32} : (tensor<?xf32>) -> tensor<?xf32> loc("exp")
  %m = "tf.Max"(%e, %zero) {T = f32, Tidx = i32, keep_dims = false} : (tensor<?xf32>, tensor<i32>) -> tensor<f32> loc("max")
  %c = "tf.Cast"(%m) {SrcT = f32, DstT = i32} : (tensor<f32>) -> tensor<i32> loc("cast")
  %r = "tf.Range"(%zero, %c, %one) {Tidx = i32} : (tensor<i32>, tensor<i32>, tensor<i32>) -> tensor<?xi32> loc("range")
  %f = "tf.Cast"(%r) {SrcT = i32, DstT = f32} : (tensor<?xi32>) -> tensor<?xf32> loc("tofloat")
  %s = "tf.Square"(%f) {T = f32} : (tensor<?xf32>) -> tensor<?xf32> loc("square")
  %t = "tf.Neg"(%s) {T = f32} : (tensor<?xf32>) -> tensor<?xf32> loc("neg")
  return %t : tensor<?xf32>
}

// -----
// A Reshape whose shape comes from the input's Shape folds at compile time (clusters are
// compiled per input shape): it joins the cluster.
// CHECK-LABEL: func.func @shape_derived
// CHECK-NOT: "tf.Reshape"
// CHECK-LABEL: func.func @shape_derived_xla_cluster
// CHECK: "tf.Reshape"
func.func @shape_derived(%x: tensor<?x4xf32>) -> (tensor<?xf32> {tf.name = "r"}) {
  %zero = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<i32> loc("zero")
  %e = "tf.Exp"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("exp")
  %sh = "tf.Shape"(%e) {T = f32, out_type = i32} : (tensor<?x4xf32>) -> tensor<2xi32> loc("shape")
  %p = "tf.Prod"(%sh, %zero) {T = i32, Tidx = i32, keep_dims = true} : (tensor<2xi32>, tensor<i32>) -> tensor<1xi32> loc("prod")
  %r = "tf.Reshape"(%e, %p) {T = f32, Tshape = i32} : (tensor<?x4xf32>, tensor<1xi32>) -> tensor<?xf32> loc("reshape")
  %n = "tf.Neg"(%r) {T = f32} : (tensor<?xf32>) -> tensor<?xf32> loc("neg")
  return %n : tensor<?xf32>
}
