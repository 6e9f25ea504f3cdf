// Bad options are one-line errors.
// RUN: not smopt %s -p 'prune-weights{sparsity=1.0}' 2>&1 | filecheck %s --check-prefix=ONE
// ONE: smopt: error: pass 'prune-weights' failed: sparsity must be in [0, 1), got 1.0
// RUN: not smopt %s -p 'prune-weights{sparsity=-0.5}' 2>&1 | filecheck %s --check-prefix=NEG
// NEG: smopt: error: pass 'prune-weights' failed: sparsity must be in [0, 1), got -0.5
// RUN: not smopt %s -p 'prune-weights{block=0}' 2>&1 | filecheck %s --check-prefix=BLOCK
// BLOCK: smopt: error: pass 'prune-weights' failed: block must be >= 1, got 0
// RUN: not smopt %s -p 'prune-weights{min-elements=-1}' 2>&1 | filecheck %s --check-prefix=MIN
// MIN: smopt: error: pass 'prune-weights' failed: min-elements must be >= 0, got -1
// RUN: not smopt %s -p 'prune-weights{exclude=a[}' 2>&1 | filecheck %s --check-prefix=RE
// RE: smopt: error: pass 'prune-weights' failed: exclude 'a[': bad regular expression: unterminated character set at position 1
// RUN: not smopt %s -p 'prune-weights{storage=csr}' 2>&1 | filecheck %s --check-prefix=STORAGE
// STORAGE: smopt: error: option 'storage' of pass 'prune-weights' expects one of auto, dense, sparse, got 'csr'

// Variables without a value (IR text, no checkpoint) are counted, not pruned.
// RUN: smopt %s -p 'prune-weights{min-elements=0}' --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=UNREAD
// UNREAD: (S) 0 num-weights-pruned
// UNREAD: (S) 1 num-variables-unreadable
"tf_saved_model.variable"() {checkpoint_key = "k", name = "kernel", node_id = 1, sym_name = "dense/kernel", trainable = true} : () -> tensor<2x4xf32>
func.func @f(%x: tensor<f32>) -> (tensor<f32> {tf.name = "y"}) {
  return %x : tensor<f32>
}
