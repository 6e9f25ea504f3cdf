// RUN: not smopt %s -p 'cpu-gpu-placement{batch-size=0}' 2>&1 | filecheck %s --check-prefix=BATCH
// RUN: not smopt %s -p 'cpu-gpu-placement{gpu-speedup=0}' 2>&1 | filecheck %s --check-prefix=SPEEDUP
// RUN: not smopt %s -p 'cpu-gpu-placement{report=%t.missing/r.json}' 2>&1 | filecheck %s --check-prefix=REPORT
// BATCH: smopt: error: pass 'cpu-gpu-placement' failed: batch-size must be at least 1 (got 0)
// SPEEDUP: smopt: error: pass 'cpu-gpu-placement' failed: option gpu-speedup must be a positive finite number (got 0)
// Numeric options the cost model cannot use (found by tests/fuzz/: nan crashed the pass)
// are refused at pass start, one line naming the option.
// RUN: not smopt %s -p 'cpu-gpu-placement{gpu-speedup=nan}' 2>&1 | filecheck %s --check-prefix=NAN
// NAN: smopt: error: pass 'cpu-gpu-placement' failed: option gpu-speedup must be a positive finite number (got nan)
// NAN-NOT: crashed
// RUN: not smopt %s -p 'cpu-gpu-placement{gpu-speedup=inf}' 2>&1 | filecheck %s --check-prefix=INF
// INF: smopt: error: pass 'cpu-gpu-placement' failed: option gpu-speedup must be a positive finite number (got inf)
// RUN: not smopt %s -p 'cpu-gpu-placement{gpu-speedup=1e400}' 2>&1 | filecheck %s --check-prefix=INF
// RUN: not smopt %s -p 'cpu-gpu-placement{gpu-speedup=-2.5}' 2>&1 | filecheck %s --check-prefix=NEG
// NEG: smopt: error: pass 'cpu-gpu-placement' failed: option gpu-speedup must be a positive finite number (got -2.5)
// RUN: not smopt %s -p 'cpu-gpu-placement{gpu-speedup=1e-320}' 2>&1 | filecheck %s --check-prefix=TINY
// TINY: smopt: error: pass 'cpu-gpu-placement' failed: option gpu-speedup must be a positive finite number (got {{.*}}e-321)
// RUN: not smopt %s -p 'cpu-gpu-placement{flops-per-byte=nan}' 2>&1 | filecheck %s --check-prefix=FNAN
// FNAN: smopt: error: pass 'cpu-gpu-placement' failed: option flops-per-byte must be a positive finite number (got nan)
// RUN: not smopt %s -p 'cpu-gpu-placement{flops-per-byte=-inf}' 2>&1 | filecheck %s --check-prefix=FINF
// FINF: smopt: error: pass 'cpu-gpu-placement' failed: option flops-per-byte must be a positive finite number (got -inf)
// RUN: not smopt %s -p 'cpu-gpu-placement{flops-per-byte=0}' 2>&1 | filecheck %s --check-prefix=FZERO
// FZERO: smopt: error: pass 'cpu-gpu-placement' failed: option flops-per-byte must be a positive finite number (got 0)
// RUN: not smopt %s -p 'cpu-gpu-placement{transfer-overhead=-1}' 2>&1 | filecheck %s --check-prefix=OVERHEAD
// OVERHEAD: smopt: error: pass 'cpu-gpu-placement' failed: option transfer-overhead must not be negative (got -1)
// RUN: not smopt %s -p 'cpu-gpu-placement{host-table-bytes=-5}' 2>&1 | filecheck %s --check-prefix=TABLE
// TABLE: smopt: error: pass 'cpu-gpu-placement' failed: option host-table-bytes must not be negative (got -5)
// A cost too large for a float (tiny flops-per-byte, large batch) is an error, not a crash.
// RUN: not smopt %s -p 'cpu-gpu-placement{flops-per-byte=1e-300 batch-size=100000000}' 2>&1 | filecheck %s --check-prefix=OVERFLOW
// OVERFLOW: smopt: error: pass 'cpu-gpu-placement' failed: the cost of 'relu' overflows with batch-size=100000000, gpu-speedup=10 and flops-per-byte=1e-300
// REPORT: smopt: error: pass 'cpu-gpu-placement' failed: cannot write the placement report '{{.*}}.missing/r.json': No such file or directory
func.func @f(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("relu")
  return %0 : tensor<?x4xf32>
}
