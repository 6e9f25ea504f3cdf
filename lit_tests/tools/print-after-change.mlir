// --print-ir-after-change narrows --print-ir-after(-all) to the passes that changed the IR
// (alone it means every pass); change is told by structural fingerprints, not printed text.
// RUN: smopt %s -p canonicalize,cse,dce --print-ir-after=cse --print-ir-after-change -o %t 2>&1 | filecheck %s --check-prefix=CSE
// RUN: smopt %s -p canonicalize,cse,dce --print-ir-after=dce --print-ir-after-change -o %t 2>&1 | filecheck %s --check-prefix=NONE --allow-empty
// RUN: smopt %s -p canonicalize,cse,dce,canonicalize --print-ir-after-change -o %t 2>&1 | filecheck %s --check-prefix=ALL
// With a reproducer too: the IR before the failing pass is the changed IR.
// RUN: not smopt %s -p canonicalize,test-fail --print-ir-after-change --reproducer %t.repro -o %t 2>&1 | filecheck %s --check-prefix=REPRO-ERR
// RUN: filecheck %s --check-prefix=REPRO < %t.repro

func.func @f(%x: tensor<3xf32>) -> (tensor<3xf32> {tf.name = "r"}) {
  %0 = "tf.Identity"(%x) {T = f32} : (tensor<3xf32>) -> tensor<3xf32> loc("id")
  %1 = "tf.Neg"(%0) {T = f32} : (tensor<3xf32>) -> tensor<3xf32> loc("a")
  %2 = "tf.Neg"(%0) {T = f32} : (tensor<3xf32>) -> tensor<3xf32> loc("b")
  %3 = "tf.AddV2"(%1, %2) {T = f32} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32> loc("add")
  return %3 : tensor<3xf32>
}

// CSE-NOT: IR Dump After Canonicalizer
// CSE: // -----// IR Dump After CSE (cse) //----- //
// CSE-NOT: IR Dump

// NONE-NOT: IR Dump

// ALL: // -----// IR Dump After Canonicalizer (canonicalize) //----- //
// ALL: // -----// IR Dump After CSE (cse) //----- //
// ALL-NOT: IR Dump

// REPRO-ERR: IR Dump After Canonicalizer (canonicalize)
// REPRO-ERR: smopt: error: pass 'test-fail' failed: requested failure
// REPRO: // smopt reproducer: pass 'test-fail' failed: requested failure
// REPRO-NEXT: // configuration: -p 'test-fail'
// REPRO-NEXT: module {
// REPRO-NOT: tf.Identity
// REPRO: loc("b")
