// RUN: smopt %s -p xla-cluster | filecheck %s --check-prefix=ALONE
// RUN: smopt %s -p 'xla-cluster{min-cluster-size=2}' | filecheck %s --check-prefix=MIN2
// RUN: smopt %s -p inline,xla-cluster | filecheck %s --check-prefix=INLINED

// Clusters never span a call boundary. @partly has a string round trip in the middle, so the
// call is no candidate and each side of every boundary is clustered on its own: two ops per
// piece, below the minimum size of 4, so nothing is clustered at all ...
// ALONE-NOT: _XlaMustCompile
// ... and with a minimum of 2, four clusters (four XLA launches per call of @main).
// MIN2-LABEL: func.func @main
// MIN2-NEXT: "tf.PartitionedCall"(%x) {{.*}}f = @main_xla_cluster_0}
// MIN2-NEXT: "tf.PartitionedCall"(%0) {Tin = [f32], Tout = [f32], f = @partly} {{.*}} loc("call")
// MIN2-NEXT: "tf.PartitionedCall"(%1) {{.*}}f = @main_xla_cluster_1}
// MIN2-LABEL: func.func @partly
// MIN2-NEXT: "tf.PartitionedCall"(%h) {{.*}}f = @partly_xla_cluster_2}
// MIN2-NEXT: "tf.AsString"
// MIN2-NEXT: "tf.StringToNumber"
// MIN2-NEXT: "tf.PartitionedCall"(%2) {{.*}}f = @partly_xla_cluster_3}
// Inlined first (as TensorFlow's auto-clustering sees the graph, and as smopt-optimize's
// precompilation pipeline runs), the work before and after the string ops forms two clusters
// of four, each spanning the former call boundary.
// INLINED-LABEL: func.func @main
// INLINED-NEXT: %0 = "tf.PartitionedCall"(%x) {{.*}}_XlaMustCompile = true, f = @main_xla_cluster_0}
// INLINED-NEXT: %1 = "tf.AsString"(%0) {{.*}} loc("call/text")
// INLINED-NEXT: %2 = "tf.StringToNumber"(%1) {{.*}} loc("call/back")
// INLINED-NEXT: %3 = "tf.PartitionedCall"(%2) {{.*}}_XlaMustCompile = true, f = @main_xla_cluster_1}
// INLINED-NEXT: return %3
// INLINED-LABEL: func.func @main_xla_cluster_0
// INLINED-NEXT: "tf.Relu"(%arg_0) {{.*}} loc("pre1")
// INLINED-NEXT: "tf.Tanh"(%0) {{.*}} loc("pre2")
// INLINED-NEXT: "tf.Sigmoid"(%1) {{.*}} loc("call/in1")
// INLINED-NEXT: "tf.Round"(%2) {{.*}} loc("call/in2")
// INLINED-NEXT: return %3
// INLINED-LABEL: func.func @main_xla_cluster_1
// INLINED-NEXT: "tf.Abs"(%arg_0) {{.*}} loc("call/in3")
// INLINED-NEXT: "tf.Sqrt"(%0) {{.*}} loc("call/in4")
// INLINED-NEXT: "tf.Exp"(%1) {{.*}} loc("post1")
// INLINED-NEXT: "tf.Neg"(%2) {{.*}} loc("post2")
// INLINED-NEXT: return %3
func.func @main(%x: tensor<4x8xf32>) -> (tensor<4x8xf32> {tf.name = "r"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("pre1")
  %1 = "tf.Tanh"(%0) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("pre2")
  %2 = "tf.PartitionedCall"(%1) {Tin = [f32], Tout = [f32], f = @partly} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("call")
  %3 = "tf.Exp"(%2) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("post1")
  %4 = "tf.Neg"(%3) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("post2")
  return %4 : tensor<4x8xf32>
}
func.func @partly(%h: tensor<4x8xf32>) -> (tensor<4x8xf32> {tf.name = "y"}) {
  %0 = "tf.Sigmoid"(%h) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("in1")
  %1 = "tf.Round"(%0) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("in2")
  %2 = "tf.AsString"(%1) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8x!tf_type.string> loc("text")
  %3 = "tf.StringToNumber"(%2) {out_type = f32} : (tensor<4x8x!tf_type.string>) -> tensor<4x8xf32> loc("back")
  %4 = "tf.Abs"(%3) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("in3")
  %5 = "tf.Sqrt"(%4) {T = f32} : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("in4")
  return %5 : tensor<4x8xf32>
}
