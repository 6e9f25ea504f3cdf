// Magnitude pruning of trainable float variables and constants of rank >= 2.
// RUN: smopt %s -p 'prune-weights{min-elements=0}' | filecheck %s
// RUN: smopt %s -p 'prune-weights{min-elements=0}' --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=STATS
// RUN: smopt %s -p 'prune-weights{min-elements=0 sparsity=0.75 block=2}' | filecheck %s --check-prefix=BLOCK
// RUN: smopt %s -p 'prune-weights{min-elements=0 sparsity=0.9}' | filecheck %s --check-prefix=AUTO
// RUN: smopt %s -p 'prune-weights{min-elements=0 sparsity=0.5 storage=sparse exclude=kernel}' | filecheck %s --check-prefix=SPARSE
// RUN: smopt %s -p 'prune-weights{min-elements=0 sparsity=0.9 storage=dense}' | filecheck %s --check-prefix=DENSE
// RUN: smopt %s -p 'prune-weights{min-elements=9}' --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=MIN
// RUN: smopt %s -p 'prune-weights{min-elements=0 sparsity=0}' | filecheck %s --check-prefix=ZERO
// RUN: smopt %s -p 'prune-weights{min-elements=0 weights=dense/kernel}' | filecheck %s --check-prefix=VAR
// RUN: smopt %s -p 'prune-weights{min-elements=0 storage=dense weights=f/w,bn/moving_variance}' | filecheck %s --check-prefix=CONST

// The 4 smallest of 8 magnitudes (0.1, 0.5, 1, 2) go; the non-trainable moving variance and
// the rank-1 bias are never pruned.
// CHECK: path = "dense/kernel", trainable = true, type = tensor<2x4xf32>, value = dense<[[0.0, 0.0, 3.0, -4.0], [0.0, 0.0, 6.0, 7.0]]> : tensor<2x4xf32>
// CHECK: path = "bn/moving_variance", trainable = false, type = tensor<2x4xf32>, value = dense<[[1.0, 2.0, 3.0, 4.0], [0.5, 0.1, 6.0, 7.0]]> : tensor<2x4xf32>
// CHECK: path = "dense/bias", trainable = true, type = tensor<4xf32>, value = dense<[1.0, -2.0, 0.0, 4.0]> : tensor<4xf32>
// CHECK-LABEL: func.func @f
// CHECK-NEXT: %0 = "tf.Const"() {dtype = f32, value = dense<{{\[\[}}0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [9.0, 10.0, 11.0, 12.0], [13.0, 14.0, 15.0, -16.0]]> : tensor<4x4xf32>} : () -> tensor<4x4xf32> loc("w")
// CHECK-NEXT: %1 = "tf.MatMul"(%x, %0)
// CHECK-NEXT: return %1

// STATS: PruneWeights (prune-weights)
// STATS-NEXT: (S) 2 num-weights-pruned
// STATS-NEXT: (S) 1 num-variables-pruned
// STATS-NEXT: (S) 1 num-constants-pruned
// STATS-NEXT: (S) 0 num-constants-sparse
// STATS-NEXT: (S) 24 num-elements
// STATS-NEXT: (S) 12 num-elements-zero
// STATS-NEXT: (S) 500 sparsity-permille
// STATS-NEXT: (S) 0 num-variables-unreadable

// block=2: blocks of two along the last dimension, ranked by mean magnitude (1.5, 3.5, 0.3,
// 6.5): three of four blocks go.
// BLOCK: path = "dense/kernel", trainable = true, type = tensor<2x4xf32>, value = dense<[[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 6.0, 7.0]]>
// BLOCK: value = dense<[[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [13.0, 14.0, 15.0, -16.0]]> : tensor<4x4xf32>

// storage=auto: at 90% (2 of 16 entries left) the COO form (2 * (4 + 2 * 4) + 16 = 40 bytes)
// is smaller than the dense constant (64 bytes): a SparseToDense under the constant's name.
// Variables stay dense.
// AUTO: path = "dense/kernel", trainable = true, type = tensor<2x4xf32>, value = dense<{{\[\[}}0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 7.0]]>
// AUTO-LABEL: func.func @f
// AUTO-NEXT: %0 = "tf.Const"() {dtype = i32, value = dense<{{\[\[}}3, 2], [3, 3]]> : tensor<2x2xi32>} : () -> tensor<2x2xi32> loc("w/indices")
// AUTO-NEXT: %1 = "tf.Const"() {dtype = i32, value = dense<4> : tensor<2xi32>} : () -> tensor<2xi32> loc("w/shape")
// AUTO-NEXT: %2 = "tf.Const"() {dtype = f32, value = dense<[15.0, -16.0]> : tensor<2xf32>} : () -> tensor<2xf32> loc("w/values")
// AUTO-NEXT: %3 = "tf.Const"() {dtype = f32, value = dense<0.0> : tensor<f32>} : () -> tensor<f32> loc("w/default")
// AUTO-NEXT: %4 = "tf.SparseToDense"(%0, %1, %2, %3) {T = f32, Tindices = i32, validate_indices = true} : (tensor<2x2xi32>, tensor<2xi32>, tensor<2xf32>, tensor<f32>) -> tensor<4x4xf32> loc("w")
// AUTO-NEXT: %5 = "tf.MatMul"(%x, %4)
// AUTO-NEXT: return %5

// storage=sparse forces the COO form; exclude leaves matching weights alone.
// SPARSE: path = "dense/kernel", trainable = true, type = tensor<2x4xf32>, value = dense<{{\[\[}}1.0, -2.0, 3.0, -4.0], [0.5, -0.1, 6.0, 7.0]]>
// SPARSE-LABEL: func.func @f
// SPARSE: "tf.Const"() {dtype = i32, value = dense<{{\[\[}}2, 0], [2, 1], [2, 2], [2, 3], [3, 0], [3, 1], [3, 2], [3, 3]]> : tensor<8x2xi32>} : () -> tensor<8x2xi32> loc("w/indices")
// SPARSE: "tf.SparseToDense"

// storage=dense never rewrites.
// DENSE-LABEL: func.func @f
// DENSE-NEXT: "tf.Const"() {dtype = f32, value = dense<{{\[\[}}0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 15.0, -16.0]]> : tensor<4x4xf32>} : () -> tensor<4x4xf32> loc("w")

// min-elements: the 2x4 kernel is too small, the 4x4 constant is not.
// MIN: (S) 1 num-weights-pruned
// MIN-NEXT: (S) 0 num-variables-pruned
// MIN-NEXT: (S) 1 num-constants-pruned

// sparsity=0 changes nothing.
// ZERO: path = "dense/kernel", trainable = true, type = tensor<2x4xf32>, value = dense<{{\[\[}}1.0, -2.0, 3.0, -4.0], [0.5, -0.1, 6.0, 7.0]]>
// ZERO: value = dense<{{\[\[}}1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0], [13.0, 14.0, 15.0, -16.0]]> : tensor<4x4xf32>} : () -> tensor<4x4xf32> loc("w")

// weights: only the named weights, a variable by its path, a constant as function/node (a
// non-trainable variable stays untouched even when named).
// VAR: path = "dense/kernel", trainable = true, type = tensor<2x4xf32>, value = dense<{{\[\[}}0.0, 0.0, 3.0, -4.0], [0.0, 0.0, 6.0, 7.0]]>
// VAR-LABEL: func.func @f
// VAR-NEXT: value = dense<{{\[\[}}1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0], [13.0, 14.0, 15.0, -16.0]]> : tensor<4x4xf32>} : () -> tensor<4x4xf32> loc("w")
// CONST: path = "dense/kernel", trainable = true, type = tensor<2x4xf32>, value = dense<{{\[\[}}1.0, -2.0, 3.0, -4.0], [0.5, -0.1, 6.0, 7.0]]>
// CONST: path = "bn/moving_variance", trainable = false, type = tensor<2x4xf32>, value = dense<{{\[\[}}1.0, 2.0, 3.0, 4.0], [0.5, 0.1, 6.0, 7.0]]>
// CONST-LABEL: func.func @f
// CONST-NEXT: value = dense<{{\[\[}}0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [9.0, 10.0, 11.0, 12.0], [13.0, 14.0, 15.0, -16.0]]> : tensor<4x4xf32>} : () -> tensor<4x4xf32> loc("w")

"tf_saved_model.variable"() {checkpoint_key = "k", name = "kernel", node_id = 1, sym_name = "dense/kernel", trainable = true, value = dense<[[1.0, -2.0, 3.0, -4.0], [0.5, -0.1, 6.0, 7.0]]> : tensor<2x4xf32>} : () -> tensor<2x4xf32>
"tf_saved_model.variable"() {checkpoint_key = "m", name = "moving_variance", node_id = 2, sym_name = "bn/moving_variance", trainable = false, value = dense<[[1.0, 2.0, 3.0, 4.0], [0.5, 0.1, 6.0, 7.0]]> : tensor<2x4xf32>} : () -> tensor<2x4xf32>
"tf_saved_model.variable"() {checkpoint_key = "b", name = "bias", node_id = 3, sym_name = "dense/bias", trainable = true, value = dense<[1.0, -2.0, 0.0, 4.0]> : tensor<4xf32>} : () -> tensor<4xf32>
func.func @f(%x: tensor<4x4xf32>) -> (tensor<4x4xf32> {tf.name = "y"}) {
  %0 = "tf.Const"() {dtype = f32, value = dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0], [13.0, 14.0, 15.0, -16.0]]> : tensor<4x4xf32>} : () -> tensor<4x4xf32> loc("w")
  %1 = "tf.MatMul"(%x, %0) {T = f32} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("MatMul")
  return %1 : tensor<4x4xf32>
}
