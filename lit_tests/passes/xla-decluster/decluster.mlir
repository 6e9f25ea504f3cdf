// RUN: smopt %s -p 'xla-cluster,xla-decluster{clusters=split_xla_cluster_1}' --pass-statistics 2>%t.stats | filecheck %s
// RUN: filecheck %s --check-prefix=STATS < %t.stats
// RUN: smopt %s -p 'xla-cluster,xla-decluster' | filecheck %s --check-prefix=ALL
// RUN: not smopt %s -p 'xla-cluster,xla-decluster{clusters=split}' 2>&1 | filecheck %s --check-prefix=ERR

// The second cluster goes back into its caller under its ops' own names; the first stays.
// CHECK-LABEL: func.func @split
// CHECK-NEXT: %0 = "tf.PartitionedCall"(%x) {{.*}}f = @split_xla_cluster_0}
// CHECK-NEXT: %1 = "tf.SegmentSum"(%0, %ids)
// CHECK-NEXT: "tf.Relu"(%1) {T = f32} {{.*}} loc("b1")
// CHECK-NEXT: "tf.Tanh"({{.*}} loc("b2")
// CHECK-NEXT: "tf.Mul"({{.*}} loc("b3")
// CHECK-NEXT: %[[E:.*]] = "tf.Exp"({{.*}} loc("b4")
// CHECK-NEXT: return %[[E]]
// CHECK-LABEL: func.func @split_xla_cluster_0
// CHECK-NOT: func.func @split_xla_cluster_1

// STATS: XlaDecluster (xla-decluster)
// STATS-NEXT: (S) 1 num-clusters-removed
// STATS-NEXT: (S) 1 num-calls-inlined

// No list: every cluster goes; the function is as before clustering.
// ALL-LABEL: func.func @split
// ALL-NEXT: "tf.Relu"(%x) {{.*}} loc("a1")
// ALL-COUNT-3: loc("a
// ALL-NEXT: "tf.SegmentSum"
// ALL-COUNT-4: loc("b
// ALL-NEXT: return
// ALL-NOT: xla_cluster

// ERR: smopt: error: pass 'xla-decluster' failed: @split is not an XLA cluster function of xla-cluster
func.func @split(%x: tensor<4x8xf32>, %ids: tensor<4xi32>) -> (tensor<?x8xf32> {tf.name = "r"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("a1")
  %1 = "tf.Tanh"(%0) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("a2")
  %2 = "tf.Mul"(%1, %0) {T = f32} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32> loc("a3")
  %3 = "tf.Exp"(%2) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("a4")
  %4 = "tf.SegmentSum"(%3, %ids) {T = f32, Tindices = i32} : (tensor<4x8xf32>, tensor<4xi32>) -> tensor<?x8xf32> loc("seg")
  %5 = "tf.Relu"(%4) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("b1")
  %6 = "tf.Tanh"(%5) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("b2")
  %7 = "tf.Mul"(%6, %5) {T = f32} : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> loc("b3")
  %8 = "tf.Exp"(%7) {T = f32} : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("b4")
  return %8 : tensor<?x8xf32>
}
