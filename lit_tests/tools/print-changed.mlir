// --print-changed (LLVM's -print-changed): the input IR once, then after each pass the IR if
// the pass changed it, or one line saying it did not; =diff prints a unified diff of each
// change instead; the quiet forms leave out the input and the "no change" lines.
// RUN: smopt %s -p canonicalize,cse,dce --print-changed -o %t 2>&1 | filecheck %s --check-prefix=FULL
// RUN: smopt %s -p canonicalize,cse,dce --print-changed=quiet -o %t 2>&1 | filecheck %s --check-prefix=QUIET
// RUN: smopt %s -p canonicalize,cse,dce --print-changed=diff -o %t 2>&1 | filecheck %s --check-prefix=DIFF
// RUN: smopt %s -p canonicalize,cse,dce --print-changed=diff-quiet -o %t 2>&1 | filecheck %s --check-prefix=DQUIET
// With --print-ir-tree-dir the dumps are numbered files (diffs end in .diff).
// RUN: rm -rf %t.dir
// RUN: smopt %s -p canonicalize,cse,dce --print-changed=diff --print-ir-tree-dir %t.dir -o %t
// RUN: filecheck %s --check-prefix=START < %t.dir/01_start.mlir
// RUN: filecheck %s --check-prefix=TREE1 < %t.dir/02_after_canonicalize.diff
// RUN: filecheck %s --check-prefix=TREE2 < %t.dir/03_after_cse.diff
// RUN: not ls %t.dir/04_after_dce.diff
// RUN: not smopt %s -p cse --print-changed=bogus 2>&1 | filecheck %s --check-prefix=BAD
// A change only in elided text (pruning a constant that prints elided) still shows its
// header, with a line saying why the diff is empty.
// RUN: smopt %S/Inputs/pruned-constant.mlir -p 'prune-weights{min-elements=0 storage=dense}' --print-changed=diff-quiet --elide-constants-larger-than 4 -o /dev/null 2>&1 | filecheck %s --check-prefix=ELIDED

func.func @f(%x: tensor<3xf32>) -> (tensor<3xf32> {tf.name = "r"}) {
  %0 = "tf.Identity"(%x) {T = f32} : (tensor<3xf32>) -> tensor<3xf32> loc("id")
  %1 = "tf.Neg"(%0) {T = f32} : (tensor<3xf32>) -> tensor<3xf32> loc("neg")
  return %1 : tensor<3xf32>
}
func.func @g(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<f32>) -> tensor<f32> loc("a")
  %1 = "tf.Neg"(%x) {T = f32} : (tensor<f32>) -> tensor<f32> loc("b")
  %2 = "tf.AddV2"(%0, %1) {T = f32} : (tensor<f32>, tensor<f32>) -> tensor<f32> loc("add")
  return %2 : tensor<f32>
}

// FULL: // -----// IR Dump At Start //----- //
// FULL-NEXT: module {
// FULL: "tf.Identity"
// FULL: // -----// IR Dump After Canonicalizer (canonicalize) //----- //
// FULL-NEXT: module {
// FULL-NOT: "tf.Identity"
// FULL: loc("b")
// FULL: // -----// IR Dump After CSE (cse) //----- //
// FULL-NEXT: module {
// FULL-NOT: loc("b")
// FULL: // -----// IR Dump After DCE (dce) omitted because no change //----- //
// FULL-NOT: IR Dump

// QUIET-NOT: IR Dump At Start
// QUIET: // -----// IR Dump After Canonicalizer (canonicalize) //----- //
// QUIET: // -----// IR Dump After CSE (cse) //----- //
// QUIET-NOT: IR Dump

// DIFF: // -----// IR Dump At Start //----- //
// DIFF: // -----// IR Dump After Canonicalizer (canonicalize) //----- //
// DIFF-NEXT: --- before
// DIFF-NEXT: +++ after
// DIFF-NEXT: @@ -1,8 +1,7 @@
// DIFF-NEXT:  module {
// DIFF-NEXT:   func.func @f(%x: tensor<3xf32> loc("x")) -> (tensor<3xf32> {tf.name = "r"}) {
// DIFF-NEXT: -    %0 = "tf.Identity"(%x) {T = f32} : (tensor<3xf32>) -> tensor<3xf32> loc("id")
// DIFF-NEXT: -    %1 = "tf.Neg"(%0) {T = f32} : (tensor<3xf32>) -> tensor<3xf32> loc("neg")
// DIFF-NEXT: -    return %1 : tensor<3xf32>
// DIFF-NEXT: +    %0 = "tf.Neg"(%x) {T = f32} : (tensor<3xf32>) -> tensor<3xf32> loc("neg")
// DIFF-NEXT: +    return %0 : tensor<3xf32>
// DIFF-NEXT:    }
// DIFF: // -----// IR Dump After CSE (cse) //----- //
// DIFF-NEXT: --- before
// DIFF-NEXT: +++ after
// DIFF-NEXT: @@ -5,8 +5,7 @@
// DIFF-NEXT:    }
// DIFF-NEXT:    func.func @g(%x: tensor<f32> loc("x")) -> (tensor<f32> {tf.name = "r"}) {
// DIFF-NEXT:      %0 = "tf.Neg"(%x) {T = f32} : (tensor<f32>) -> tensor<f32> loc("a")
// DIFF-NEXT: -    %1 = "tf.Neg"(%x) {T = f32} : (tensor<f32>) -> tensor<f32> loc("b")
// DIFF-NEXT: -    %2 = "tf.AddV2"(%0, %1) {T = f32} : (tensor<f32>, tensor<f32>) -> tensor<f32> loc("add")
// DIFF-NEXT: -    return %2 : tensor<f32>
// DIFF-NEXT: +    %1 = "tf.AddV2"(%0, %0) {T = f32} : (tensor<f32>, tensor<f32>) -> tensor<f32> loc("add")
// DIFF-NEXT: +    return %1 : tensor<f32>
// DIFF-NEXT:    }
// DIFF-NEXT:  }
// DIFF: // -----// IR Dump After DCE (dce) omitted because no change //----- //

// DQUIET-NOT: IR Dump At Start
// DQUIET: // -----// IR Dump After Canonicalizer (canonicalize) //----- //
// DQUIET-NEXT: --- before
// DQUIET: // -----// IR Dump After CSE (cse) //----- //
// DQUIET-NEXT: --- before
// DQUIET-NOT: IR Dump

// START: // -----// IR Dump At Start //----- //
// START-NEXT: module {
// TREE1: // -----// IR Dump After Canonicalizer (canonicalize) //----- //
// TREE1-NEXT: --- before
// TREE1: -    %0 = "tf.Identity"
// TREE2: // -----// IR Dump After CSE (cse) //----- //
// TREE2: -    %1 = "tf.Neg"(%x) {T = f32} : (tensor<f32>) -> tensor<f32> loc("b")

// BAD: smopt: error: argument --print-changed: invalid choice: 'bogus'

// ELIDED: // -----// IR Dump After PruneWeights (prune-weights) //----- //
// ELIDED-NEXT: // changed only where the text is elided (--elide-operands-larger-than, --elide-constants-larger-than)
