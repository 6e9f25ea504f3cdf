// RUN: not smopt %s -p 'cpu-gpu-placement{batch-size=0}' 2>&1 | filecheck %s --check-prefix=BATCH
// RUN: not smopt %s -p 'cpu-gpu-placement{gpu-speedup=0}' 2>&1 | filecheck %s --check-prefix=SPEEDUP
// RUN: not smopt %s -p 'cpu-gpu-placement{report=%t.missing/r.json}' 2>&1 | filecheck %s --check-prefix=REPORT
// BATCH: smopt: error: pass 'cpu-gpu-placement' failed: batch-size must be at least 1 (got 0)
// SPEEDUP: smopt: error: pass 'cpu-gpu-placement' failed: gpu-speedup and flops-per-byte must be positive and transfer-overhead not negative
// REPORT: smopt: error: pass 'cpu-gpu-placement' failed: cannot write the placement report '{{.*}}.missing/r.json': No such file or directory
func.func @f(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("relu")
  return %0 : tensor<?x4xf32>
}
