// report=- writes the JSON report to stderr, as `-` means for every pass's output option (it
// used to create a file named '-' in the working directory; tests/fuzz/ found it).
// RUN: rm -rf %t && mkdir %t && cd %t && smopt %s -p 'cpu-gpu-placement{report=-}' -o /dev/null 2>&1 | filecheck %s
// RUN: cd %t && not ls -- -
// CHECK: "pass": "cpu-gpu-placement",
// CHECK: "ops": {
// CHECK-NEXT: "gpu": 0,
// CHECK-NEXT: "cpu": 1
func.func @f(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("relu")
  return %0 : tensor<?x4xf32>
}
