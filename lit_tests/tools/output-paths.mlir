// Output locations are checked before any work: one line naming the flag and the path,
// a non-zero exit, nothing written. --debug adds the traceback of a crash.
// RUN: rm -rf %t.d && mkdir -p %t.d && echo x > %t.d/file
// RUN: not smopt %s -o %t.d 2>&1 | filecheck %s --check-prefix=ODIR
// RUN: not smopt %s -o %t.d/missing/o.mlir 2>&1 | filecheck %s --check-prefix=OMISSING
// RUN: not smopt %s -o %t.d/file/o.mlir 2>&1 | filecheck %s --check-prefix=OFILE
// RUN: not smopt %s -p cse --print-ir-tree-dir %t.d/file 2>&1 | filecheck %s --check-prefix=TREE
// RUN: not smopt %s -p test-fail --reproducer %t.d/missing/r.mlir 2>&1 | filecheck %s --check-prefix=REPRO
// RUN: not smopt %s -p 'call-graph{output=%t.d/graph.txt},test-fail' -o %t.d/o.mlir 2>&1 | filecheck %s --check-prefix=LATER
// RUN: not ls %t.d/graph.txt %t.d/o.mlir %t.d/missing
// RUN: printf "// configuration: -p 'cse\n" > %t.d/r.mlir
// RUN: not smopt %t.d/r.mlir --run-reproducer 2>&1 | filecheck %s --check-prefix=QUOTE
// RUN: not smopt %s -p test-crash --debug 2>&1 | filecheck %s --check-prefix=DEBUG
// RUN: not smopt %s -p test-crash 2>&1 | filecheck %s --check-prefix=NODEBUG

func.func @f(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<f32>) -> tensor<f32> loc("neg")
  return %0 : tensor<f32>
}

// ODIR: smopt: error: -o '{{.*}}.d' is a directory, not a file
// OMISSING: smopt: error: cannot write -o '{{.*}}.d/missing/o.mlir': directory '{{.*}}.d/missing' does not exist
// OFILE: smopt: error: cannot write -o '{{.*}}.d/file/o.mlir': '{{.*}}.d/file' is a file, not a directory
// TREE: smopt: error: --print-ir-tree-dir '{{.*}}.d/file' exists and is not a directory
// REPRO: smopt: error: cannot write --reproducer '{{.*}}.d/missing/r.mlir': directory '{{.*}}.d/missing' does not exist
// LATER: smopt: error: pass 'test-fail' failed: requested failure
// QUOTE: smopt: error: {{.*}}r.mlir:1: malformed '// configuration:' line: No closing quotation
// DEBUG: Traceback (most recent call last):
// DEBUG: RuntimeError: boom
// DEBUG: smopt: error: pass 'test-crash' failed: crashed with RuntimeError: boom
// NODEBUG-NOT: Traceback
// NODEBUG: smopt: error: pass 'test-crash' failed: crashed with RuntimeError: boom
