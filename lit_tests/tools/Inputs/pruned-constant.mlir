func.func @f(%x: tensor<2x4xf32>) -> (tensor<2x4xf32> {tf.name = "y"}) {
  %0 = "tf.Const"() {dtype = f32, value = dense<[[0.1, -0.5, 3.0, -4.0], [1.0, 2.0, 6.0, 7.0], [0.2, 9.0, 1.5, -8.0], [0.3, 0.4, 5.0, 2.5]]> : tensor<4x4xf32>} : () -> tensor<4x4xf32> loc("w")
  %1 = "tf.MatMul"(%x, %0) {T = f32} : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32> loc("mm")
  return %1 : tensor<2x4xf32>
}
