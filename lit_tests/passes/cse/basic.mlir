// RUN: smopt %s -p cse --split-input-file --pass-statistics 2>&1 | filecheck %s

// Equal constants and equal ops over them merge; uses (data and control) move to the first.
// CHECK-LABEL: func.func @f
// CHECK-NEXT: %0 = "tf.Const"() {{.*}} loc("c1")
// CHECK-NEXT: %1, %ctl_0 = "tf.Mul"(%x, %0) {{.*}} loc("m1")
// CHECK-NEXT: %2 = "tf.AddV2"(%1, %1) {{.*}} -> tensor<f32> loc("add")
// CHECK-NEXT: %3 = "tf.Identity"(%2, %ctl_0)
// CHECK-NEXT: return %3, %1
func.func @f(%x: tensor<f32>) -> (tensor<f32> {tf.name = "a"}, tensor<f32> {tf.name = "b"}) {
  %c1 = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<f32>} : () -> tensor<f32> loc("c1")
  %c2 = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<f32>} : () -> tensor<f32> loc("c2")
  %m1 = "tf.Mul"(%x, %c1) {T = f32} : (tensor<f32>, tensor<f32>) -> tensor<f32> loc("m1")
  %m2, %ctl = "tf.Mul"(%x, %c2) {T = f32} : (tensor<f32>, tensor<f32>) -> (tensor<f32>, !tf_executor.control) loc("m2")
  %s = "tf.AddV2"(%m1, %m2) {T = f32} : (tensor<f32>, tensor<f32>) -> tensor<f32> loc("add")
  %r = "tf.Identity"(%s, %ctl) {T = f32} : (tensor<f32>, !tf_executor.control) -> tensor<f32> loc("r")
  return %r, %m2 : tensor<f32>, tensor<f32>
}

// -----
// Different attrs, different control inputs or stateful ops never merge.
// CHECK-LABEL: func.func @g
// CHECK: "tf.Const"() {{.*}} loc("a")
// CHECK-NEXT: "tf.Const"() {{.*}} loc("b")
// CHECK-NEXT: "tf.RandomUniform"({{.*}} loc("r1")
// CHECK-NEXT: "tf.RandomUniform"({{.*}} loc("r2")
// CHECK-NEXT: "tf.Relu"(%x) {{.*}} loc("u1")
// CHECK-NEXT: "tf.Relu"(%x, %ctl_0) {{.*}} loc("u2")
func.func @g(%x: tensor<f32>, %s: tensor<1xi32>) -> (tensor<f32> {tf.name = "a"}) {
  %a = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<f32>} : () -> tensor<f32> loc("a")
  %b = "tf.Const"() {dtype = f32, value = dense<3.0> : tensor<f32>} : () -> tensor<f32> loc("b")
  %r1 = "tf.RandomUniform"(%s) {T = i32, dtype = f32} : (tensor<1xi32>) -> tensor<1xf32> loc("r1")
  %r2, %rc = "tf.RandomUniform"(%s) {T = i32, dtype = f32} : (tensor<1xi32>) -> (tensor<1xf32>, !tf_executor.control) loc("r2")
  %u1 = "tf.Relu"(%x) {T = f32} : (tensor<f32>) -> tensor<f32> loc("u1")
  %u2 = "tf.Relu"(%x, %rc) {T = f32} : (tensor<f32>, !tf_executor.control) -> tensor<f32> loc("u2")
  %sum = "tf.AddN"(%a, %b, %u1, %u2) {N = 4, T = f32} : (tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<f32> loc("sum")
  return %sum : tensor<f32>
}

// Statistics are reported per chunk after the IR.
// CHECK: CSE (cse)
// CHECK-NEXT: (S) 2 num-cse'd - Number of operations CSE'd
// CHECK: CSE (cse)
// CHECK-NEXT: (S) 0 num-cse'd - Number of operations CSE'd
