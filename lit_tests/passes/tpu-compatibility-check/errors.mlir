// Everything the TPU cannot run is reported at once, each item in the runtime's words:
// The op table behind these errors is passes/xla_compat.py with passes/data/xla_ops.json.
// ops without an XLA kernel (string, sparse, custom ops), attribute dtypes the kernel does not
// take, string operands/results, string arguments and results of the TPU function, also in
// functions the TPU function reaches. The custom op MyTpuOp is declared in Inputs/custom_ops.json
// (SMOPT_OP_DEFS_FILE): the verifier refuses ops nothing defines.
// RUN: not env SMOPT_OP_DEFS_FILE=%S/Inputs/custom_ops.json smopt %s -p tpu-compatibility-check 2>&1 | filecheck %s
// extra-unsupported-ops adds to the list; allow-ops accepts op types (custom TPU ops).
// RUN: not env SMOPT_OP_DEFS_FILE=%S/Inputs/custom_ops.json smopt %s -p 'tpu-compatibility-check{extra-unsupported-ops=Relu allow-ops=MyTpuOp,SparseTensorDenseMatMul}' 2>&1 | filecheck %s --check-prefix=OPTS
// SMOPT_TPU_OPS_FILE does the same from a JSON file.
// RUN: echo '{"allow": ["MyTpuOp"], "deny": ["Relu"]}' > %t.json
// RUN: not env SMOPT_OP_DEFS_FILE=%S/Inputs/custom_ops.json SMOPT_TPU_OPS_FILE=%t.json smopt %s -p tpu-compatibility-check 2>&1 | filecheck %s --check-prefix=FILE
// RUN: echo 'allow: MyTpuOp' > %t.bad
// RUN: not env SMOPT_OP_DEFS_FILE=%S/Inputs/custom_ops.json SMOPT_TPU_OPS_FILE=%t.bad smopt %s -p tpu-compatibility-check 2>&1 | filecheck %s --check-prefix=BADFILE

// CHECK: smopt: error: pass 'tpu-compatibility-check' failed: TPU function @model_func (alias "tpu_func") has a string argument %input_string; strings are not supported on the TPU, move it out of the TPU function (into its CPU caller);
// CHECK-SAME: TPU function @model_func (alias "tpu_func") has argument %c of type tensor<?xcomplex<f64>>, which the TPU does not support;
// CHECK-SAME: TPU function @model_func (alias "tpu_func") returns a string (result label); strings are not supported on the TPU, move it out of the TPU function (into its CPU caller);
// CHECK-SAME: 'tf.StringToNumber' op isn't compilable for TPU device. (node "StringToNumber" in @model_func: no XLA kernel for TPU (string op));
// CHECK-SAME: 'tf.SparseTensorDenseMatMul' op isn't compilable for TPU device. (node "SparseMatMul" in @model_func: no XLA kernel for TPU (sparse op));
// CHECK-SAME: 'tf.MatMul' op isn't compilable for TPU device. (node "MatMulUint8" in @model_func: its XLA kernel does not accept T = ui8);
// CHECK-SAME: 'tf.MyTpuOp' op isn't compilable for TPU device. (node "custom" in @model_func: no XLA kernel for TPU);
// CHECK-SAME: 'tf.AsString' op isn't compilable for TPU device. (node "AsString" in @model_func: no XLA kernel for TPU (string op));
// CHECK-SAME: 'tf.PartitionedCall' op isn't compilable for TPU device. (node "call_helper" in @model_func: operand #0 is of type tensor<?xcomplex<f64>>, which TPU does not support);
// CHECK-SAME: 'tf.Cast' op isn't compilable for TPU device. (node "Cast" in @helper, called from TPU function @model_func (alias "tpu_func"): operand #0 is of type tensor<?xcomplex<f64>>, which TPU does not support)
// CHECK-NOT: Relu

// OPTS: failed: TPU function
// OPTS-NOT: SparseTensorDenseMatMul
// OPTS-NOT: MyTpuOp
// OPTS: 'tf.Relu' op isn't compilable for TPU device. (node "Relu" in @model_func: listed as unsupported (extra-unsupported-ops))

// FILE: failed: TPU function
// FILE: 'tf.SparseTensorDenseMatMul' op isn't compilable
// FILE-NOT: MyTpuOp
// FILE: 'tf.Relu' op isn't compilable for TPU device. (node "Relu" in @model_func: denied by SMOPT_TPU_OPS_FILE)

// BADFILE: error: pass 'tpu-compatibility-check' failed: SMOPT_TPU_OPS_FILE={{.*}}.bad: cannot read it as JSON

"tf_saved_model.alias"() {sym_name = "tpu_func", function = @model_func} : () -> ()
func.func @model_func(%input_string: tensor<?x!tf_type.string>, %idx: tensor<?x2xi64>, %vals: tensor<?xf32>, %shape: tensor<2xi64>, %dense: tensor<4x4xf32>, %q: tensor<4x4xui8>, %c: tensor<?xcomplex<f64>>) -> (tensor<?x4xf32> {tf.name = "y"}, tensor<?x!tf_type.string> {tf.name = "label"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.StringToNumber"(%input_string) {out_type = f32} : (tensor<?x!tf_type.string>) -> tensor<?xf32> loc("StringToNumber")
  %1 = "tf.SparseTensorDenseMatMul"(%idx, %vals, %shape, %dense) {T = f32, Tindices = i64} : (tensor<?x2xi64>, tensor<?xf32>, tensor<2xi64>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("SparseMatMul")
  %2 = "tf.MatMul"(%q, %q) {T = ui8} : (tensor<4x4xui8>, tensor<4x4xui8>) -> tensor<4x4xui8> loc("MatMulUint8")
  %3 = "tf.Relu"(%1) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("Relu")
  %4 = "tf.MyTpuOp"(%3) : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("custom")
  %5 = "tf.AsString"(%0) {T = f32} : (tensor<?xf32>) -> tensor<?x!tf_type.string> loc("AsString")
  %6 = "tf.PartitionedCall"(%c) {Tin = [complex<f64>], Tout = [complex<f64>], f = @helper} : (tensor<?xcomplex<f64>>) -> tensor<?xcomplex<f64>> loc("call_helper")
  return %4, %5 : tensor<?x4xf32>, tensor<?x!tf_type.string>
}
func.func @helper(%c: tensor<?xcomplex<f64>>) -> (tensor<?xcomplex<f64>> {tf.name = "y"}) {
  %0 = "tf.Cast"(%c) {SrcT = complex<f64>, DstT = complex<f64>} : (tensor<?xcomplex<f64>>) -> tensor<?xcomplex<f64>> loc("Cast")
  return %0 : tensor<?xcomplex<f64>>
}
