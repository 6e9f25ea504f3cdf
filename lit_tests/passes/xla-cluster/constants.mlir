// RUN: smopt %s -p xla-cluster --split-input-file | filecheck %s

// A small constant used by two clusters (as after CSE merged equal constants) belongs to one
// of them; the other gets its own copy instead of a call operand (XLA folds it and the call
// has no extra per-inference argument). No copy is left outside.
// CHECK-LABEL: func.func @shared
// CHECK-NEXT: %0 = "tf.PartitionedCall"(%x) {Tin = [f32], {{.*}}f = @shared_xla_cluster_0}
// CHECK-NEXT: %1 = "tf.SegmentSum"(%0, %ids)
// CHECK-NEXT: %2 = "tf.PartitionedCall"(%1) {Tin = [f32], {{.*}}f = @shared_xla_cluster_1}
// CHECK-NEXT: return %2
// CHECK-LABEL: func.func @shared_xla_cluster_0(%arg_0: tensor<4x8xf32> loc("arg_0"))
// CHECK-NEXT: %0 = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<f32>} : () -> tensor<f32> loc("two")
// CHECK-NEXT: "tf.Mul"(%arg_0, %0) {{.*}} loc("a1")
// CHECK-LABEL: func.func @shared_xla_cluster_1(%arg_0: tensor<?x8xf32> loc("arg_0"))
// CHECK-NEXT: %0 = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<f32>} : () -> tensor<f32> loc("two")
// CHECK-NEXT: "tf.Mul"(%arg_0, %0) {{.*}} loc("b1")
func.func @shared(%x: tensor<4x8xf32>, %ids: tensor<4xi32>) -> (tensor<?x8xf32> {tf.name = "r"}) {
  %c = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<f32>} : () -> tensor<f32> loc("two")
  %0 = "tf.Mul"(%x, %c) {T = f32} : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32> loc("a1")
  %1 = "tf.Tanh"(%0) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("a2")
  %2 = "tf.Relu"(%1) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("a3")
  %3 = "tf.Exp"(%2) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("a4")
  %4 = "tf.SegmentSum"(%3, %ids) {T = f32, Tindices = i32} : (tensor<4x8xf32>, tensor<4xi32>) -> tensor<?x8xf32> loc("segsum")
  %5 = "tf.Mul"(%4, %c) {T = f32} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32> loc("b1")
  %6 = "tf.Sigmoid"(%5) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("b2")
  %7 = "tf.AddV2"(%6, %5) {T = f32} : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> loc("b3")
  %8 = "tf.Neg"(%7) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("b4")
  return %8 : tensor<?x8xf32>
}

// -----
// A constant that also feeds an op outside every cluster (AsString) is copied into the
// cluster and stays where it was for the outside user.
// CHECK-LABEL: func.func @outside_user
// CHECK-NEXT: %0 = "tf.Const"() {{.*}} loc("two")
// CHECK-NEXT: %1 = "tf.SegmentSum"(%x, %ids)
// CHECK-NEXT: %2 = "tf.AsString"(%0)
// CHECK-NEXT: %3 = "tf.PartitionedCall"(%1) {Tin = [f32], {{.*}}f = @outside_user_xla_cluster_0}
// CHECK-NEXT: return %3, %2
// CHECK-LABEL: func.func @outside_user_xla_cluster_0(%arg_0: tensor<?x8xf32> loc("arg_0"))
// CHECK-NEXT: %0 = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<f32>} : () -> tensor<f32> loc("two")
// CHECK-NEXT: "tf.Mul"(%arg_0, %0) {{.*}} loc("b1")
func.func @outside_user(%x: tensor<4x8xf32>, %ids: tensor<4xi32>) -> (tensor<?x8xf32> {tf.name = "r"}, tensor<!tf_type.string> {tf.name = "s"}) {
  %c = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<f32>} : () -> tensor<f32> loc("two")
  %seg = "tf.SegmentSum"(%x, %ids) {T = f32, Tindices = i32} : (tensor<4x8xf32>, tensor<4xi32>) -> tensor<?x8xf32> loc("segsum")
  %s = "tf.AsString"(%c) {T = f32} : (tensor<f32>) -> tensor<!tf_type.string> loc("text")
  %5 = "tf.Mul"(%seg, %c) {T = f32} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32> loc("b1")
  %6 = "tf.Sigmoid"(%5) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("b2")
  %7 = "tf.AddV2"(%6, %5) {T = f32} : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> loc("b3")
  %8 = "tf.Neg"(%7) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("b4")
  return %8, %s : tensor<?x8xf32>, tensor<!tf_type.string>
}

// -----
// Large constants (more than 1024 elements) are not duplicated: the second cluster takes the
// copy left outside the first one as an operand.
// CHECK-LABEL: func.func @large
// CHECK-NEXT: %0 = "tf.Const"() {{.*}} loc("big")
// CHECK-NEXT: %1 = "tf.PartitionedCall"(%x) {{.*}}f = @large_xla_cluster_0}
// CHECK-NEXT: %2 = "tf.SegmentSum"(%1, %ids)
// CHECK-NEXT: %3 = "tf.PartitionedCall"(%0, %ids, %2) {Tin = [f32, i32, f32], {{.*}}f = @large_xla_cluster_1}
// CHECK-LABEL: func.func @large_xla_cluster_0
// CHECK-NEXT: "tf.Const"() {{.*}} loc("big")
// CHECK-LABEL: func.func @large_xla_cluster_1(%arg_0: tensor<40x32xf32> loc("arg_0"), %arg_1: tensor<40xi32> loc("arg_1"), %arg_2: tensor<?x32xf32> loc("arg_2"))
// CHECK-NEXT: "tf.Sum"(%arg_0, %arg_1) {{.*}} loc("b0")
func.func @large(%x: tensor<40x32xf32>, %ids: tensor<40xi32>) -> (tensor<?x32xf32> {tf.name = "r"}) {
  %c = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<40x32xf32>} : () -> tensor<40x32xf32> loc("big")
  %0 = "tf.Mul"(%x, %c) {T = f32} : (tensor<40x32xf32>, tensor<40x32xf32>) -> tensor<40x32xf32> loc("a1")
  %1 = "tf.Tanh"(%0) {T = f32} : (tensor<40x32xf32>) -> tensor<40x32xf32> loc("a2")
  %2 = "tf.Relu"(%1) {T = f32} : (tensor<40x32xf32>) -> tensor<40x32xf32> loc("a3")
  %3 = "tf.Exp"(%2) {T = f32} : (tensor<40x32xf32>) -> tensor<40x32xf32> loc("a4")
  %4 = "tf.SegmentSum"(%3, %ids) {T = f32, Tindices = i32} : (tensor<40x32xf32>, tensor<40xi32>) -> tensor<?x32xf32> loc("segsum")
  %s = "tf.Sum"(%c, %ids) {T = f32, Tidx = i32} : (tensor<40x32xf32>, tensor<40xi32>) -> tensor<32xf32> loc("b0")
  %5 = "tf.Mul"(%4, %s) {T = f32} : (tensor<?x32xf32>, tensor<32xf32>) -> tensor<?x32xf32> loc("b1")
  %6 = "tf.Sigmoid"(%5) {T = f32} : (tensor<?x32xf32>) -> tensor<?x32xf32> loc("b2")
  %7 = "tf.AddV2"(%6, %5) {T = f32} : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32> loc("b3")
  return %7 : tensor<?x32xf32>
}

// -----
// A constant with a control input is not copied (the copy would make the whole cluster wait
// for that input): the first cluster holds it (its control input now on the call), the copy
// left outside keeps the control input and is an operand of the second cluster.
// CHECK-LABEL: func.func @control_input
// CHECK-NEXT: %0, %ctl_0 = "tf.SegmentMax"(%x, %ids)
// CHECK-NEXT: %1 = "tf.Const"(%ctl_0) {{.*}} loc("two")
// CHECK-NEXT: %2 = "tf.PartitionedCall"(%x, %ctl_0) {{.*}}f = @control_input_xla_cluster_0}
// CHECK-NEXT: %3 = "tf.SegmentSum"(%2, %ids)
// CHECK-NEXT: %4 = "tf.PartitionedCall"(%3, %1, %0) {Tin = [f32, f32, f32], {{.*}}f = @control_input_xla_cluster_1}
// CHECK-LABEL: func.func @control_input_xla_cluster_1(%arg_0: tensor<?x8xf32> loc("arg_0"), %arg_1: tensor<f32> loc("arg_1"), %arg_2: tensor<?x8xf32> loc("arg_2"))
// CHECK-NEXT: "tf.Mul"(%arg_0, %arg_1) {{.*}} loc("b1")
func.func @control_input(%x: tensor<4x8xf32>, %ids: tensor<4xi32>) -> (tensor<?x8xf32> {tf.name = "r"}) {
  %p, %ctl = "tf.SegmentMax"(%x, %ids) {T = f32, Tindices = i32} : (tensor<4x8xf32>, tensor<4xi32>) -> (tensor<?x8xf32>, !tf_executor.control) loc("p")
  %c = "tf.Const"(%ctl) {dtype = f32, value = dense<2.0> : tensor<f32>} : (!tf_executor.control) -> tensor<f32> loc("two")
  %0 = "tf.Mul"(%x, %c) {T = f32} : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32> loc("a1")
  %1 = "tf.Tanh"(%0) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("a2")
  %2 = "tf.Relu"(%1) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("a3")
  %3 = "tf.Exp"(%2) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("a4")
  %4 = "tf.SegmentSum"(%3, %ids) {T = f32, Tindices = i32} : (tensor<4x8xf32>, tensor<4xi32>) -> tensor<?x8xf32> loc("segsum")
  %5 = "tf.Mul"(%4, %c) {T = f32} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32> loc("b1")
  %6 = "tf.Sigmoid"(%5) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("b2")
  %7 = "tf.AddV2"(%6, %5) {T = f32} : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> loc("b3")
  %8 = "tf.Neg"(%7) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("b4")
  %9 = "tf.AddV2"(%8, %p) {T = f32} : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> loc("b5")
  return %9 : tensor<?x8xf32>
}
