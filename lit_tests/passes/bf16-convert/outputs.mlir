// RUN: smopt %s --split-input-file -p bf16-convert | filecheck %s
// RUN: smopt %s --split-input-file -p bf16-convert --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=STATS
// RUN: smopt %s --split-input-file -p 'bf16-convert{keep-f32-outputs=false}' | filecheck %s --check-prefix=OFF

// Model outputs (passes/data/bf16_policy.json, smopt.outputs): in a function whose float32
// results are outputs, the allow op that computes a result through infer and clear ops only
// (the output projection and its bias) and those ops run in float32, when other allow ops
// still run in bfloat16. Rounding the logits to bfloat16 only to cast them back at the
// boundary takes 8 bits from every output; TensorFlow's AMP does round them, and on the
// corpus that rounding is most of its error on small transformer encoders.
// CHECK-LABEL: func.func @classifier(
// CHECK-NEXT: [[V0:%[0-9]+]] = "tf.Cast"(%x) {DstT = bf16, SrcT = f32} : (tensor<2x8xf32>) -> tensor<2x8xbf16> loc("x/CastToBF16")
// CHECK-NEXT: [[V1:%[0-9]+]] = "tf.Cast"(%w1) {DstT = bf16, SrcT = f32} : (tensor<8x8xf32>) -> tensor<8x8xbf16> loc("w1/CastToBF16")
// CHECK-NEXT: [[V2:%[0-9]+]] = "tf.MatMul"([[V0]], [[V1]]) {T = bf16} : (tensor<2x8xbf16>, tensor<8x8xbf16>) -> tensor<2x8xbf16> loc("hidden")
// CHECK-NEXT: [[V3:%[0-9]+]] = "tf.Relu"([[V2]]) {T = bf16} : (tensor<2x8xbf16>) -> tensor<2x8xbf16> loc("relu")
// CHECK-NEXT: [[V4:%[0-9]+]] = "tf.Cast"([[V3]]) {DstT = f32, SrcT = bf16} : (tensor<2x8xbf16>) -> tensor<2x8xf32> loc("relu/CastToF32")
// CHECK-NEXT: [[V5:%[0-9]+]] = "tf.MatMul"([[V4]], %w2) {T = f32} : (tensor<2x8xf32>, tensor<8x4xf32>) -> tensor<2x4xf32> loc("head")
// CHECK-NEXT: [[V6:%[0-9]+]] = "tf.BiasAdd"([[V5]], %b2) {T = f32, data_format = "NHWC"} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32> loc("logits")
// CHECK-NEXT: [[V7:%[0-9]+]] = "tf.Softmax"([[V6]]) {T = f32} : (tensor<2x4xf32>) -> tensor<2x4xf32> loc("probs")
// CHECK-NEXT: return [[V6]], [[V7]] : tensor<2x4xf32>, tensor<2x4xf32>
// OFF-LABEL: func.func @classifier(
// OFF: "tf.MatMul"({{.*}}) {T = bf16} {{.*}} loc("head")
// OFF-NEXT: "tf.BiasAdd"({{.*}}) {T = bf16, {{.*}} loc("logits")
// STATS: (S) 2 num-output-ops-kept
func.func @classifier(%x: tensor<2x8xf32>, %w1: tensor<8x8xf32>, %w2: tensor<8x4xf32>, %b2: tensor<4xf32>) -> (tensor<2x4xf32> {tf.name = "logits"}, tensor<2x4xf32> {tf.name = "probs"}) attributes {smopt.tpu_function = true} {
  %h = "tf.MatMul"(%x, %w1) {T = f32} : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32> loc("hidden")
  %r = "tf.Relu"(%h) {T = f32} : (tensor<2x8xf32>) -> tensor<2x8xf32> loc("relu")
  %y = "tf.MatMul"(%r, %w2) {T = f32} : (tensor<2x8xf32>, tensor<8x4xf32>) -> tensor<2x4xf32> loc("head")
  %l = "tf.BiasAdd"(%y, %b2) {T = f32, data_format = "NHWC"} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32> loc("logits")
  %p = "tf.Softmax"(%l) {T = f32} : (tensor<2x4xf32>) -> tensor<2x4xf32> loc("probs")
  return %l, %p : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----
// A projection whose result is an output but also feeds more bfloat16 compute (the next
// MatMul, reduced by a kept Mean) is no output-only chain: it stays bfloat16.
// CHECK-LABEL: func.func @shared(
// CHECK: "tf.MatMul"({{.*}}) {T = bf16} {{.*}} loc("hidden")
// CHECK: "tf.MatMul"({{.*}}) {T = bf16} {{.*}} loc("proj")
// CHECK: "tf.MatMul"({{.*}}) {T = bf16} {{.*}} loc("next")
// CHECK: "tf.Mean"({{.*}}) {T = f32, {{.*}} loc("pooled")
func.func @shared(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>) -> (tensor<2x8xf32> {tf.name = "features"}, tensor<2xf32> {tf.name = "pooled"}) attributes {smopt.tpu_function = true} {
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("axis")
  %h = "tf.MatMul"(%x, %w) {T = f32} : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32> loc("hidden")
  %p = "tf.MatMul"(%h, %w) {T = f32} : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32> loc("proj")
  %n = "tf.MatMul"(%p, %w) {T = f32} : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32> loc("next")
  %m = "tf.Mean"(%n, %axis) {T = f32, Tidx = i32, keep_dims = false} : (tensor<2x8xf32>, tensor<i32>) -> tensor<2xf32> loc("pooled")
  return %p, %m : tensor<2x8xf32>, tensor<2xf32>
}

// -----
// A function whose only allow op is its output projection (one dense layer; an RNN
// classifier whose recurrence stays float32 is the same) keeps it bfloat16.
// CHECK-LABEL: func.func @dense(
// CHECK: "tf.MatMul"({{.*}}) {T = bf16} {{.*}} loc("head")
// CHECK: "tf.BiasAdd"({{.*}}) {T = bf16, {{.*}} loc("logits")
func.func @dense(%x: tensor<2x8xf32>, %w: tensor<8x4xf32>, %b: tensor<4xf32>) -> (tensor<2x4xf32> {tf.name = "logits"}) attributes {smopt.tpu_function = true} {
  %y = "tf.MatMul"(%x, %w) {T = f32} : (tensor<2x8xf32>, tensor<8x4xf32>) -> tensor<2x4xf32> loc("head")
  %l = "tf.BiasAdd"(%y, %b) {T = f32, data_format = "NHWC"} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32> loc("logits")
  return %l : tensor<2x4xf32>
}

// -----
// The projection's weights are still stored bfloat16 (like the hidden layer's, as
// TensorFlow's AMP rounds them too; a tied embedding table stays halved) and read through
// an exact Cast to float32.
// CHECK: "tf_saved_model.variable"() {{.*}} path = "head", trainable = true, type = tensor<2x2xbf16>,
// CHECK-NEXT: "tf_saved_model.variable"() {{.*}} path = "w1", trainable = true, type = tensor<2x2xbf16>,
// CHECK-LABEL: func.func @tpu(
// CHECK: "tf.MatMul"({{.*}}) {T = bf16} {{.*}} loc("hidden")
// CHECK: [[R:%[0-9]+]] = "tf.ReadVariableOp"(%head) {dtype = bf16} : (tensor<*x!tf_type.resource<tensor<2x2xbf16>>>) -> tensor<2x2xbf16> loc("read_head")
// CHECK-NEXT: [[C:%[0-9]+]] = "tf.Cast"([[R]]) {DstT = f32, SrcT = bf16} : (tensor<2x2xbf16>) -> tensor<2x2xf32> loc("read_head/CastToF32")
// CHECK: "tf.MatMul"({{%[0-9]+}}, [[C]]) {T = f32} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> loc("logits")
"tf_saved_model.variable"() {sym_name = "head", name = "head", checkpoint_key = "head/.ATTRIBUTES/VARIABLE_VALUE", node_id = 1, trainable = true, value = dense<[[1.0, 0.1], [-2.5, 3.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
"tf_saved_model.variable"() {sym_name = "w1", name = "w1", checkpoint_key = "w1/.ATTRIBUTES/VARIABLE_VALUE", node_id = 2, trainable = true, value = dense<0.5> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
tf.graph {
  %h = "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2x2>, shared_name = "head"} : () -> tensor<!tf_type.resource> loc("head")
  %w = "tf.VarHandleOp"() {dtype = f32, shape = #tf_type.shape<2x2>, shared_name = "w1"} : () -> tensor<!tf_type.resource> loc("w1")
  %x = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<2x2>} : () -> tensor<2x2xf32> loc("x")
  %y = "tf.StatefulPartitionedCall"(%x, %w, %h) {Tin = [f32, !tf_type.resource, !tf_type.resource], Tout = [f32], f = @serve} : (tensor<2x2xf32>, tensor<!tf_type.resource>, tensor<!tf_type.resource>) -> tensor<2x2xf32> loc("call")
}
func.func @serve(%x: tensor<2x2xf32>, %w1: tensor<*x!tf_type.resource<tensor<2x2xf32>>> {tf_saved_model.bound_input = 2}, %head: tensor<*x!tf_type.resource<tensor<2x2xf32>>> {tf_saved_model.bound_input = 1}) -> (tensor<2x2xf32> {tf.name = "logits"}) attributes {tf_saved_model.exported = true} {
  %0 = "tf.StatefulPartitionedCall"(%x, %w1, %head) {Tin = [f32, !tf_type.resource, !tf_type.resource], Tout = [f32], f = @tpu} : (tensor<2x2xf32>, tensor<*x!tf_type.resource<tensor<2x2xf32>>>, tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> tensor<2x2xf32> loc("call_tpu")
  return %0 : tensor<2x2xf32>
}
func.func @tpu(%x: tensor<2x2xf32>, %w1: tensor<*x!tf_type.resource<tensor<2x2xf32>>>, %head: tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> (tensor<2x2xf32> {tf.name = "logits"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.ReadVariableOp"(%w1) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> tensor<2x2xf32> loc("read_w1")
  %1 = "tf.MatMul"(%x, %0) {T = f32} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> loc("hidden")
  %2 = "tf.ReadVariableOp"(%head) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<2x2xf32>>>) -> tensor<2x2xf32> loc("read_head")
  %3 = "tf.MatMul"(%1, %2) {T = f32} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> loc("logits")
  return %3 : tensor<2x2xf32>
}
