// The check generator's output, applied to the same smopt output, passes.
// RUN: smopt %s -p cse > %t.mlir
// RUN: %python -m smopt.tools.generate_test_checks %t.mlir > %t.checks
// RUN: filecheck %t.checks < %t.mlir
// RUN: filecheck %s < %t.checks

"tf.graph"() ({
  %p = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<>} : () -> tensor<f32> loc("p")
  %0 = "tf.Identity"(%p) {T = f32} : (tensor<f32>) -> tensor<f32> loc("id")
}) : () -> ()
func.func @f(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0:2 = "tf.Unique"(%x) {T = f32, out_idx = i32} : (tensor<f32>) -> (tensor<?xf32>, tensor<?xi32>) loc("u")
  %1, %c = "tf.Neg"(%x) {T = f32} : (tensor<f32>) -> (tensor<f32>, !tf_executor.control) loc("n")
  %2 = "tf.Identity"(%1, %c) {T = f32, a = [[1]]} : (tensor<f32>, !tf_executor.control) -> tensor<f32> loc("i")
  return %2 : tensor<f32>
}
// The main graph's region is checked like a function body.
// CHECK: // CHECK-LABEL: "tf.graph"() ({
// CHECK-NEXT: // CHECK-NEXT: {{\[\[}}V0:%[0-9]+]] = "tf.Placeholder"()
// CHECK-NEXT: // CHECK-NEXT: {{\[\[}}V1:%[0-9]+]] = "tf.Identity"({{\[\[}}V0]])
// CHECK-NEXT: // CHECK-NEXT: }) : () -> ()
// CHECK-NEXT: // CHECK-LABEL: func.func @f(
// CHECK-NEXT: // CHECK-NEXT: {{\[\[}}V0:%[0-9]+]]:2 = "tf.Unique"(%x)
// CHECK-NEXT: // CHECK-NEXT: {{\[\[}}V1:%[0-9]+]], {{\[\[}}CTL0:%ctl_[0-9]+]] = "tf.Neg"(%x)
// CHECK-NEXT: // CHECK-NEXT: {{\[\[}}V2:%[0-9]+]] = "tf.Identity"({{\[\[}}V1]], {{\[\[}}CTL0]])
// CHECK-NEXT: // CHECK-NEXT: return {{\[\[}}V2]] : tensor<f32>
