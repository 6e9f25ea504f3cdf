// RUN: smopt %s -p cpu-gpu-placement --split-input-file 2>/dev/null | filecheck %s
// RUN: smopt %s -p 'cpu-gpu-placement{host-table-bytes=1000000}' --split-input-file 2>/dev/null | filecheck %s --check-prefix=HOST
// RUN: smopt %s -p 'cpu-gpu-placement{host-table-bytes=1000000}' --split-input-file 2>&1 >/dev/null | filecheck %s --check-prefix=REPORT

// A vocabulary lookup (string input, lookup table) stays on the host, the MLP goes to the
// GPU. A 6.4 MB embedding table is below the default host-table-bytes (16 MiB), so the
// lookup's ids cross to the GPU and the gather runs there; with host-table-bytes=1000000 the
// table is large, its gather stays on the host, and so does the OOV clamp between lookup and
// gather (the naive placement would ship ids to the GPU and back).
// CHECK-LABEL: func.func @serve
// CHECK: "tf.LookupTableFindV2"{{.*}}device = "/device:CPU:0"{{.*}}loc("lookup")
// CHECK: "tf.Maximum"{{.*}}device = "/device:GPU:0"{{.*}}loc("oov")
// CHECK: "tf.ResourceGather"{{.*}}device = "/device:GPU:0"{{.*}}loc("gather")
// CHECK: "tf.MatMul"{{.*}}device = "/device:GPU:0"{{.*}}loc("dense")
// CHECK: "tf.Relu"{{.*}}device = "/device:GPU:0"{{.*}}loc("relu")
// CHECK: "tf.MatMul"{{.*}}device = "/device:GPU:0"{{.*}}loc("out")
// HOST-LABEL: func.func @serve
// HOST: "tf.Const"{{.*}}device = "/device:CPU:0"{{.*}}loc("default")
// HOST: "tf.LookupTableFindV2"{{.*}}device = "/device:CPU:0"{{.*}}loc("lookup")
// HOST: "tf.Maximum"{{.*}}device = "/device:CPU:0"{{.*}}loc("oov")
// HOST: "tf.ResourceGather"{{.*}}device = "/device:CPU:0"{{.*}}loc("gather")
// HOST: "tf.MatMul"{{.*}}device = "/device:GPU:0"{{.*}}loc("dense")
// HOST: "tf.MatMul"{{.*}}device = "/device:GPU:0"{{.*}}loc("out")
// REPORT: cpu-gpu-placement: 5 ops on /device:GPU:0, 3 on /device:CPU:0 (batch size 32)
// REPORT-NEXT: placement transfers bytes/example cost
// REPORT-NEXT: before 4 84.0 2800
// REPORT-NEXT: naive 4 84.0 2800
// REPORT-NEXT: placed 2 68.0 2314
// REPORT-NEXT: min-cut optimum 2314 (placement optimal)
func.func @serve(%words: tensor<?x!tf_type.string>, %table: tensor<!tf_type.resource>, %emb: tensor<!tf_type.resource<tensor<100000x16xf32>>>, %w: tensor<!tf_type.resource<tensor<16x256xf32>>>, %w2: tensor<!tf_type.resource<tensor<256x1xf32>>>) -> (tensor<?x1xf32> {tf.name = "score"}) {
  %dflt = "tf.Const"() {dtype = i64, value = dense<-1> : tensor<i64>} : () -> tensor<i64> loc("default")
  %ids = "tf.LookupTableFindV2"(%table, %words, %dflt) {Tin = !tf_type.string, Tout = i64} : (tensor<!tf_type.resource>, tensor<?x!tf_type.string>, tensor<i64>) -> tensor<?xi64> loc("lookup")
  %zero = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<i64> loc("zero")
  %oov = "tf.Maximum"(%ids, %zero) {T = i64} : (tensor<?xi64>, tensor<i64>) -> tensor<?xi64> loc("oov")
  %e = "tf.ResourceGather"(%emb, %oov) {Tindices = i64, dtype = f32} : (tensor<!tf_type.resource<tensor<100000x16xf32>>>, tensor<?xi64>) -> tensor<?x16xf32> loc("gather")
  %wv = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<!tf_type.resource<tensor<16x256xf32>>>) -> tensor<16x256xf32> loc("read_w")
  %h = "tf.MatMul"(%e, %wv) {T = f32} : (tensor<?x16xf32>, tensor<16x256xf32>) -> tensor<?x256xf32> loc("dense")
  %r = "tf.Relu"(%h) {T = f32} : (tensor<?x256xf32>) -> tensor<?x256xf32> loc("relu")
  %wv2 = "tf.ReadVariableOp"(%w2) {dtype = f32} : (tensor<!tf_type.resource<tensor<256x1xf32>>>) -> tensor<256x1xf32> loc("read_w2")
  %o = "tf.MatMul"(%r, %wv2) {T = f32} : (tensor<?x256xf32>, tensor<256x1xf32>) -> tensor<?x1xf32> loc("out")
  return %o : tensor<?x1xf32>
}

// -----
// Calls are placed through (TF inlines them at run time): the callee's ops get devices, the
// hashed string feature stays on the host, the dense layers inside the callee go to the GPU
// and the call itself keeps no device. A constant read on both sides is copied so that
// each device has its own (the callee's reader counts as a GPU reader).
func.func @tower(%f: tensor<?x8xf32>, %w: tensor<!tf_type.resource<tensor<8x512xf32>>>, %w2: tensor<!tf_type.resource<tensor<512x512xf32>>>, %c: tensor<f32>) -> (tensor<?x1xf32> {tf.name = "h"}) {
  %wv = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<!tf_type.resource<tensor<8x512xf32>>>) -> tensor<8x512xf32> loc("read")
  %0 = "tf.MatMul"(%f, %wv) {T = f32} : (tensor<?x8xf32>, tensor<8x512xf32>) -> tensor<?x512xf32> loc("mm")
  %1 = "tf.Mul"(%0, %c) {T = f32} : (tensor<?x512xf32>, tensor<f32>) -> tensor<?x512xf32> loc("scale")
  %wv2 = "tf.ReadVariableOp"(%w2) {dtype = f32} : (tensor<!tf_type.resource<tensor<512x512xf32>>>) -> tensor<512x512xf32> loc("read2")
  %2 = "tf.MatMul"(%1, %wv2) {T = f32} : (tensor<?x512xf32>, tensor<512x512xf32>) -> tensor<?x512xf32> loc("mm2")
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("axis")
  %3 = "tf.Sum"(%2, %axis) {T = f32, Tidx = i32, keep_dims = true} : (tensor<?x512xf32>, tensor<i32>) -> tensor<?x1xf32> loc("sum")
  return %3 : tensor<?x1xf32>
}
// CHECK-LABEL: func.func @tower
// CHECK: "tf.ReadVariableOp"{{.*}}device = "/device:GPU:0"{{.*}}loc("read")
// CHECK: "tf.MatMul"{{.*}}device = "/device:GPU:0"{{.*}}loc("mm")
// CHECK: "tf.MatMul"{{.*}}device = "/device:GPU:0"{{.*}}loc("mm2")
// CHECK: "tf.Sum"{{.*}}device = "/device:GPU:0"{{.*}}loc("sum")
// CHECK-LABEL: func.func @main
// CHECK-NEXT: %0 = "tf.Const"() {device = "/device:CPU:0"{{.*}}loc("two")
// CHECK-NEXT: %1 = "tf.Const"() {device = "/device:GPU:0"{{.*}}loc("two/gpu")
// CHECK-NEXT: "tf.StringToHashBucketFast"{{.*}}device = "/device:CPU:0"
// CHECK-NEXT: "tf.Cast"{{.*}}device = "/device:CPU:0"
// CHECK-NEXT: "tf.Mul"(%3, %1) {{.*}}device = "/device:GPU:0"
// CHECK: "tf.Tile"{{.*}}device = "/device:GPU:0"
// CHECK-NEXT: "tf.PartitionedCall"(%8, %w, %w2, %1) {Tin
// CHECK-NEXT: "tf.AsString"(%0) {{.*}}device = "/device:CPU:0"
func.func @main(%s: tensor<?x!tf_type.string>, %w: tensor<!tf_type.resource<tensor<8x512xf32>>>, %w2: tensor<!tf_type.resource<tensor<512x512xf32>>>) -> (tensor<?x1xf32> {tf.name = "h"}, tensor<!tf_type.string> {tf.name = "factor"}) {
  %two = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<f32>} : () -> tensor<f32> loc("two")
  %0 = "tf.StringToHashBucketFast"(%s) {num_buckets = 100} : (tensor<?x!tf_type.string>) -> tensor<?xi64> loc("hash")
  %1 = "tf.Cast"(%0) {SrcT = i64, DstT = f32} : (tensor<?xi64>) -> tensor<?xf32> loc("cast")
  %2 = "tf.Mul"(%1, %two) {T = f32} : (tensor<?xf32>, tensor<f32>) -> tensor<?xf32> loc("double")
  %shape = "tf.Const"() {dtype = i32, value = dense<[-1, 1]> : tensor<2xi32>} : () -> tensor<2xi32> loc("shape")
  %3 = "tf.Reshape"(%2, %shape) {T = f32, Tshape = i32} : (tensor<?xf32>, tensor<2xi32>) -> tensor<?x1xf32> loc("column")
  %mult = "tf.Const"() {dtype = i32, value = dense<[1, 8]> : tensor<2xi32>} : () -> tensor<2xi32> loc("mult")
  %4 = "tf.Tile"(%3, %mult) {T = f32, Tmultiples = i32} : (tensor<?x1xf32>, tensor<2xi32>) -> tensor<?x8xf32> loc("features")
  %5 = "tf.PartitionedCall"(%4, %w, %w2, %two) {Tin = [f32, !tf_type.resource, !tf_type.resource, f32], Tout = [f32], f = @tower} : (tensor<?x8xf32>, tensor<!tf_type.resource<tensor<8x512xf32>>>, tensor<!tf_type.resource<tensor<512x512xf32>>>, tensor<f32>) -> tensor<?x1xf32> loc("call")
  %6 = "tf.AsString"(%two) {T = f32} : (tensor<f32>) -> tensor<!tf_type.string> loc("factor")
  return %5, %6 : tensor<?x1xf32>, tensor<!tf_type.string>
}
