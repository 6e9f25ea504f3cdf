// RUN: smopt %s -p 'cpu-gpu-placement{report=%t.json}' -o %t.mlir && filecheck %s < %t.mlir
// RUN: filecheck %s --check-prefix=JSON < %t.json
// RUN: smopt %s -p cpu-gpu-placement 2>&1 >/dev/null | filecheck %s --check-prefix=TEXT

// Both dense layers want the GPU, but a string round trip (host only) sits between them:
// GPU -> CPU -> GPU, a cycle of the accelerator part through the host. The min cut alone
// would place it that way; the repair moves the GPU ops after the host excursion to the host
// (moving dense1 to the host instead would cost more) and the report shows the price.
// CHECK: "tf.MatMul"{{.*}}device = "/device:GPU:0"{{.*}}loc("dense1")
// CHECK: "tf.AsString"{{.*}}device = "/device:CPU:0"
// CHECK: "tf.StringToNumber"{{.*}}device = "/device:CPU:0"
// CHECK: "tf.MatMul"{{.*}}device = "/device:CPU:0"{{.*}}loc("dense2")
// CHECK: "tf.AddV2"{{.*}}device = "/device:CPU:0"{{.*}}loc("residual")
// JSON: "pass": "cpu-gpu-placement",
// JSON: "batch_size": 32,
// JSON: "naive": {
// JSON-NEXT: "cost": 157492,
// JSON: "placed": {
// JSON-NEXT: "cost": 295554,
// JSON: "edges": 2,
// JSON-NEXT: "bytes": 40960,
// JSON-NEXT: "bytes_per_example": 1280.0,
// JSON: "optimum": {
// JSON-NEXT: "cost": 157492,
// JSON: "optimal": false,
// JSON-NEXT: "repairs": [
// JSON: "action": "GPU ops after the host excursion to the host",
// JSON-NEXT: "units": [
// JSON-NEXT: "dense2",
// JSON-NEXT: "residual"
// TEXT: placed 2 1280.0 295554
// TEXT-NEXT: min-cut optimum 157492 (repairs cost extra)
// TEXT-NEXT: repair: GPU ops after the host excursion to the host (2 ops), cost 295554
func.func @serve(%x: tensor<?x64xf32>, %w1: tensor<!tf_type.resource<tensor<64x256xf32>>>, %w2: tensor<!tf_type.resource<tensor<256x64xf32>>>) -> (tensor<?x64xf32> {tf.name = "y"}) {
  %a = "tf.ReadVariableOp"(%w1) {dtype = f32} : (tensor<!tf_type.resource<tensor<64x256xf32>>>) -> tensor<64x256xf32> loc("read_w1")
  %0 = "tf.MatMul"(%x, %a) {T = f32} : (tensor<?x64xf32>, tensor<64x256xf32>) -> tensor<?x256xf32> loc("dense1")
  %1 = "tf.AsString"(%0) {T = f32} : (tensor<?x256xf32>) -> tensor<?x256x!tf_type.string> loc("to_text")
  %2 = "tf.StringToNumber"(%1) {out_type = f32} : (tensor<?x256x!tf_type.string>) -> tensor<?x256xf32> loc("from_text")
  %b = "tf.ReadVariableOp"(%w2) {dtype = f32} : (tensor<!tf_type.resource<tensor<256x64xf32>>>) -> tensor<256x64xf32> loc("read_w2")
  %3 = "tf.MatMul"(%2, %b) {T = f32} : (tensor<?x256xf32>, tensor<256x64xf32>) -> tensor<?x64xf32> loc("dense2")
  %4 = "tf.AddV2"(%3, %x) {T = f32} : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32> loc("residual")
  return %4 : tensor<?x64xf32>
}
