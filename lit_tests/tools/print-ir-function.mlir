// --print-ir-function=REGEX: dumps show the module header and the matching functions only
// (re.search on the name; repeatable), for every print flag and --print-ir-tree-dir; a change
// counts for --print-ir-after-change and --print-changed only in those functions.
// RUN: smopt %s -p canonicalize,cse --print-ir-after-all --print-ir-function='^g$' -o %t 2>&1 | filecheck %s --check-prefix=AFTER
// RUN: smopt %s -p canonicalize,cse --print-ir-after-change --print-ir-function='^g$' -o %t 2>&1 | filecheck %s --check-prefix=CHANGE
// RUN: smopt %s -p canonicalize,cse --print-ir-before=cse --print-ir-function=f -o %t 2>&1 | filecheck %s --check-prefix=BEFORE
// RUN: smopt %s -p canonicalize --print-ir-after-all --print-ir-function='^f$' --print-ir-function='^g$' -o %t 2>&1 | filecheck %s --check-prefix=BOTH
// RUN: smopt %s -p canonicalize,cse --print-changed=diff-quiet --print-ir-function='^f$' -o %t 2>&1 | filecheck %s --check-prefix=CHANGED
// RUN: not smopt %s -p test-fail --print-ir-after-failure --print-ir-function='^g$' -o %t 2>&1 | filecheck %s --check-prefix=FAILURE
// RUN: rm -rf %t.dir
// RUN: smopt %s -p canonicalize,cse --print-ir-tree-dir %t.dir --print-ir-function='^f$' -o %t
// RUN: filecheck %s --check-prefix=TREE < %t.dir/02_after_cse.mlir
// The result (-o) is never filtered.
// RUN: smopt %s -p cse --print-ir-after-all --print-ir-function='^g$' 2>/dev/null | filecheck %s --check-prefix=OUT
// RUN: not smopt %s -p cse --print-ir-function='(' 2>&1 | filecheck %s --check-prefix=BADRE

module attributes {tf.versions = {producer = 1}} {
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
}

// AFTER: // -----// IR Dump After Canonicalizer (canonicalize) //----- //
// AFTER-NEXT: module attributes {tf.versions = {producer = 1}} {
// AFTER-NEXT:   func.func @g(
// AFTER:      // -----// IR Dump After CSE (cse) //----- //
// AFTER-NEXT: module attributes {tf.versions = {producer = 1}} {
// AFTER-NEXT:   func.func @g(
// AFTER-NOT: func.func @f

// Canonicalize changes only @f: no dump after it.
// CHANGE-NOT: IR Dump After Canonicalizer
// CHANGE: // -----// IR Dump After CSE (cse) //----- //
// CHANGE-NOT: func.func @f
// CHANGE: func.func @g(
// CHANGE-NOT: IR Dump

// BEFORE: // -----// IR Dump Before CSE (cse) //----- //
// BEFORE-NEXT: module attributes
// BEFORE-NEXT:   func.func @f(
// BEFORE-NOT: func.func @g

// BOTH: IR Dump After Canonicalizer
// BOTH: func.func @f(
// BOTH: func.func @g(

// CHANGED: // -----// IR Dump After Canonicalizer (canonicalize) //----- //
// CHANGED-NEXT: --- before
// CHANGED: -    %0 = "tf.Identity"
// CHANGED-NOT: IR Dump

// FAILURE: // -----// IR Dump After TestFail Failed (test-fail) //----- //
// FAILURE-NEXT: module attributes
// FAILURE-NEXT:   func.func @g(
// FAILURE-NOT: func.func @f
// FAILURE: smopt: error: pass 'test-fail' failed: requested failure

// TREE: // -----// IR Dump After CSE (cse) //----- //
// TREE-NEXT: module attributes
// TREE-NEXT:   func.func @f(
// TREE-NOT: func.func @g

// OUT: func.func @f(
// OUT: func.func @g(

// BADRE: smopt: error: --print-ir-function: invalid regular expression '(': missing ), unterminated subpattern
