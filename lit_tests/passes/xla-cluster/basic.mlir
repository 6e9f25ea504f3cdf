// RUN: smopt %s -p xla-cluster --split-input-file | filecheck %s
// RUN: smopt %s -p 'xla-cluster{min-cluster-size=2}' --split-input-file | filecheck %s --check-prefix=MIN2

// A compilable chain becomes one function marked for XLA (and never inlined), called where
// the ops were.
// CHECK-LABEL: func.func @chain
// CHECK-NEXT: %0 = "tf.PartitionedCall"(%x) {Tin = [f32], Tout = [f32], _XlaMustCompile = true, f = @chain_xla_cluster_0} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("xla_cluster_0")
// CHECK-NEXT: return %0
// CHECK-LABEL: func.func @chain_xla_cluster_0(%arg_0: tensor<4x8xf32> loc("arg_0")) -> (tensor<4x8xf32> {tf.name = "output_0"}) attributes {_XlaMustCompile = true, _noinline = true, smopt.xla_cluster = true}
// CHECK-NEXT: "tf.Relu"(%arg_0) {{.*}} loc("a1")
// CHECK-NEXT: "tf.Tanh"(%0) {{.*}} loc("a2")
// CHECK-NEXT: "tf.Mul"(%1, %0) {{.*}} loc("a3")
// CHECK-NEXT: "tf.Exp"(%2) {{.*}} loc("a4")
// CHECK-NEXT: return %3
func.func @chain(%x: tensor<4x8xf32>) -> (tensor<4x8xf32> {tf.name = "r"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("a1")
  %1 = "tf.Tanh"(%0) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("a2")
  %2 = "tf.Mul"(%1, %0) {T = f32} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32> loc("a3")
  %3 = "tf.Exp"(%2) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("a4")
  return %3 : tensor<4x8xf32>
}

// -----
// Two chains split by an uncompilable op (SegmentSum has no XLA kernel): two clusters.
// CHECK-LABEL: func.func @split
// CHECK-NEXT: %0 = "tf.PartitionedCall"(%x) {{.*}}f = @split_xla_cluster_0}
// CHECK-NEXT: %1 = "tf.SegmentSum"(%0, %ids)
// CHECK-NEXT: %2 = "tf.PartitionedCall"(%1) {{.*}}f = @split_xla_cluster_1}
// CHECK-NEXT: return %2
// CHECK-LABEL: func.func @split_xla_cluster_0
// CHECK-COUNT-4: loc("a{{[0-9]}}")
// CHECK-NEXT: return
// CHECK-LABEL: func.func @split_xla_cluster_1
// CHECK-COUNT-4: loc("b{{[0-9]}}")
// CHECK-NEXT: return
func.func @split(%x: tensor<4x8xf32>, %ids: tensor<4xi32>) -> (tensor<?x8xf32> {tf.name = "r"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("a1")
  %1 = "tf.Tanh"(%0) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("a2")
  %2 = "tf.Mul"(%1, %0) {T = f32} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32> loc("a3")
  %3 = "tf.Exp"(%2) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("a4")
  %4 = "tf.SegmentSum"(%3, %ids) {T = f32, Tindices = i32} : (tensor<4x8xf32>, tensor<4xi32>) -> tensor<?x8xf32> loc("segsum")
  %5 = "tf.Relu"(%4) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("b1")
  %6 = "tf.Sigmoid"(%5) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("b2")
  %7 = "tf.AddV2"(%6, %5) {T = f32} : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> loc("b3")
  %8 = "tf.Neg"(%7) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("b4")
  return %8 : tensor<?x8xf32>
}

// -----
// a4 feeds b2 directly and through the uncompilable segsum: contracting a4 -> b2 would
// put segsum both after and before one cluster (a cycle), so it is refused; the second
// cluster takes a4's value as an input.
// CHECK-LABEL: func.func @cycle
// CHECK-NEXT: %0 = "tf.PartitionedCall"(%x) {{.*}}f = @cycle_xla_cluster_0}
// CHECK-NEXT: %1 = "tf.SegmentSum"(%0, %ids)
// CHECK-NEXT: %2 = "tf.PartitionedCall"(%1, %0) {{.*}}f = @cycle_xla_cluster_1}
// CHECK-NEXT: return %2
// CHECK-LABEL: func.func @cycle_xla_cluster_1(%arg_0: tensor<?x8xf32> loc("arg_0"), %arg_1: tensor<4x8xf32> loc("arg_1"))
// CHECK-NEXT: "tf.Const"() {{.*}} loc("axis")
// CHECK-NEXT: "tf.Sum"(%arg_0, %0) {{.*}} loc("b1")
// CHECK-NEXT: "tf.AddV2"(%arg_1, %1) {{.*}} loc("b2")
func.func @cycle(%x: tensor<4x8xf32>, %ids: tensor<4xi32>) -> (tensor<4x8xf32> {tf.name = "r"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("a1")
  %1 = "tf.Tanh"(%0) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("a2")
  %2 = "tf.Mul"(%1, %0) {T = f32} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32> loc("a3")
  %3 = "tf.Exp"(%2) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("a4")
  %4 = "tf.SegmentSum"(%3, %ids) {T = f32, Tindices = i32} : (tensor<4x8xf32>, tensor<4xi32>) -> tensor<?x8xf32> loc("segsum")
  %c0 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<i32> loc("axis")
  %5 = "tf.Sum"(%4, %c0) {T = f32, Tidx = i32} : (tensor<?x8xf32>, tensor<i32>) -> tensor<8xf32> loc("b1")
  %6 = "tf.AddV2"(%3, %5) {T = f32} : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32> loc("b2")
  %7 = "tf.Sigmoid"(%6) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("b3")
  %8 = "tf.Neg"(%7) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("b4")
  return %8 : tensor<4x8xf32>
}

// -----
// String ops are never clustered, nor is anything holding a string (an Identity or a Const
// of strings). Only the four ops after StringToNumber reach the minimum size; with
// min-cluster-size=2 the two ops before AsString form a cluster too.
// CHECK-LABEL: func.func @strings
// CHECK-NEXT: "tf.Relu"(%x)
// CHECK-NEXT: "tf.Tanh"
// CHECK-NEXT: "tf.AsString"
// CHECK-NEXT: "tf.Identity"
// CHECK-NEXT: "tf.Const"() {dtype = !tf_type.string
// CHECK-NEXT: "tf.StringJoin"
// CHECK-NEXT: "tf.StringToNumber"
// CHECK-NEXT: "tf.PartitionedCall"
// CHECK-NEXT: return
// CHECK-LABEL: func.func @strings_xla_cluster_0(%arg_0: tensor<4xf32> loc("arg_0"))
// CHECK-NOT: string
// CHECK: return
// MIN2-LABEL: func.func @strings
// MIN2-NEXT: "tf.PartitionedCall"(%x) {{.*}}f = @strings_xla_cluster_0}
// MIN2-NEXT: "tf.AsString"
// MIN2: "tf.StringToNumber"
// MIN2-NEXT: "tf.PartitionedCall"{{.*}}f = @strings_xla_cluster_1}
func.func @strings(%x: tensor<4xf32>) -> (tensor<4xf32> {tf.name = "r"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a1")
  %1 = "tf.Tanh"(%0) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a2")
  %2 = "tf.AsString"(%1) {T = f32} : (tensor<4xf32>) -> tensor<4x!tf_type.string> loc("as_string")
  %3 = "tf.Identity"(%2) {T = !tf_type.string} : (tensor<4x!tf_type.string>) -> tensor<4x!tf_type.string> loc("id")
  %4 = "tf.Const"() {dtype = !tf_type.string, value = dense<"0"> : tensor<!tf_type.string>} : () -> tensor<!tf_type.string> loc("zero")
  %5 = "tf.StringJoin"(%3, %4) {N = 2} : (tensor<4x!tf_type.string>, tensor<!tf_type.string>) -> tensor<4x!tf_type.string> loc("join")
  %6 = "tf.StringToNumber"(%5) {out_type = f32} : (tensor<4x!tf_type.string>) -> tensor<4xf32> loc("to_number")
  %7 = "tf.Relu"(%6) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("b1")
  %8 = "tf.Sigmoid"(%7) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("b2")
  %9 = "tf.AddV2"(%8, %7) {T = f32} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("b3")
  %10 = "tf.Neg"(%9) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("b4")
  return %10 : tensor<4xf32>
}

// -----
// Identity and Const do not count toward the minimum size: three real ops are not enough
// (min-cluster-size=2 clusters them, Consts and Identities included).
// CHECK-LABEL: func.func @small
// CHECK-NOT: PartitionedCall
// CHECK: return
// MIN2-LABEL: func.func @small
// MIN2-NEXT: %0 = "tf.PartitionedCall"(%x) {{.*}}f = @small_xla_cluster_0}
// MIN2-NEXT: return %0
// MIN2-LABEL: func.func @small_xla_cluster_0
// MIN2-COUNT-7: "tf.{{.*}} loc(
// MIN2-NEXT: return
func.func @small(%x: tensor<4xf32>) -> (tensor<4xf32> {tf.name = "r"}) {
  %c1 = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<f32>} : () -> tensor<f32> loc("one")
  %c2 = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<f32>} : () -> tensor<f32> loc("two")
  %0 = "tf.AddV2"(%x, %c1) {T = f32} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32> loc("add")
  %1 = "tf.Identity"(%0) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("id1")
  %2 = "tf.Mul"(%1, %c2) {T = f32} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32> loc("mul")
  %3 = "tf.Identity"(%2) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("id2")
  %4 = "tf.Relu"(%3) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("relu")
  return %4 : tensor<4xf32>
}

// -----
// A constant used inside and outside the cluster stays outside as a copy; the cluster
// does not export it.
// CHECK-LABEL: func.func @shared_const
// CHECK-NEXT: %0 = "tf.Const"() {{.*}} loc("c")
// CHECK-NEXT: %1 = "tf.PartitionedCall"(%x) {{.*}} -> tensor<4xf32> loc("xla_cluster_0")
// CHECK-NEXT: %2 = "tf.AsString"(%0)
// CHECK-NEXT: return %1, %2
// CHECK-LABEL: func.func @shared_const_xla_cluster_0
// CHECK-NEXT: "tf.Const"() {{.*}} loc("c")
func.func @shared_const(%x: tensor<4xf32>) -> (tensor<4xf32> {tf.name = "r"}, tensor<!tf_type.string> {tf.name = "s"}) {
  %c = "tf.Const"() {dtype = f32, value = dense<3.0> : tensor<f32>} : () -> tensor<f32> loc("c")
  %0 = "tf.AddV2"(%x, %c) {T = f32} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32> loc("a1")
  %1 = "tf.Tanh"(%0) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a2")
  %2 = "tf.Mul"(%1, %c) {T = f32} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32> loc("a3")
  %3 = "tf.Exp"(%2) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a4")
  %s = "tf.AsString"(%c) {T = f32} : (tensor<f32>) -> tensor<!tf_type.string> loc("s")
  return %3, %s : tensor<4xf32>, tensor<!tf_type.string>
}

// -----
// `_XlaCompile = false` keeps an op out; explicit devices of another kind too (device=cpu
// here, so the op pinned to the GPU stays out).
// CHECK-LABEL: func.func @marked
// CHECK-NEXT: "tf.PartitionedCall"(%x)
// CHECK-NEXT: "tf.Exp"{{.*}}_XlaCompile = false
// CHECK-NEXT: "tf.PartitionedCall"
// CHECK-NEXT: "tf.Neg"{{.*}}device = "/device:GPU:0"
// CHECK-NEXT: return
func.func @marked(%x: tensor<4xf32>) -> (tensor<4xf32> {tf.name = "r"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a1")
  %1 = "tf.Tanh"(%0) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a2")
  %2 = "tf.Mul"(%1, %0) {T = f32} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("a3")
  %3 = "tf.Sqrt"(%2) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a4")
  %4 = "tf.Exp"(%3) {T = f32, _XlaCompile = false} : (tensor<4xf32>) -> tensor<4xf32> loc("no_xla")
  %5 = "tf.Relu"(%4) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("b1")
  %6 = "tf.Sigmoid"(%5) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("b2")
  %7 = "tf.AddV2"(%6, %5) {T = f32} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("b3")
  %8 = "tf.Sqrt"(%7) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("b4")
  %9 = "tf.Neg"(%8) {T = f32, device = "/device:GPU:0"} : (tensor<4xf32>) -> tensor<4xf32> loc("on_gpu")
  return %9 : tensor<4xf32>
}

// -----
// max-cluster-size bounds a cluster's op count.
// RUN: smopt %s -p 'xla-cluster{min-cluster-size=2 max-cluster-size=3}' --split-input-file | filecheck %s --check-prefix=MAX3
// MAX3-LABEL: func.func @bounded
// MAX3-NEXT: "tf.PartitionedCall"(%x) {{.*}}f = @bounded_xla_cluster_0}
// MAX3-NEXT: "tf.PartitionedCall"(%0) {{.*}}f = @bounded_xla_cluster_1}
// MAX3-NEXT: return
// MAX3-LABEL: func.func @bounded_xla_cluster_0
// MAX3-COUNT-3: loc("a{{[0-9]}}")
// MAX3-NEXT: return
func.func @bounded(%x: tensor<4xf32>) -> (tensor<4xf32> {tf.name = "r"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a1")
  %1 = "tf.Tanh"(%0) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a2")
  %2 = "tf.Sqrt"(%1) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a3")
  %3 = "tf.Exp"(%2) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a4")
  %4 = "tf.Neg"(%3) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a5")
  %5 = "tf.Relu"(%4) {T = f32} : (tensor<4xf32>) -> tensor<4xf32> loc("a6")
  return %5 : tensor<4xf32>
}
