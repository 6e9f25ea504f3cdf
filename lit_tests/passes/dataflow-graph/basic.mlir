// dataflow-graph: one function's dataflow as Graphviz DOT. Ops are boxes, arguments and the
// return ellipses; data edges solid, control edges dashed. Coloured groups (DOT clusters):
// one per device, XLA clusters, TPU functions and stubs; with expand (default) a call's group
// holds the callee's ops, wired to the caller's values. The IR is unchanged.
// RUN: smopt %s --split-input-file -p 'dataflow-graph{function=serve format=dot}' -o %t.mlir 2>&1 | filecheck %s
// RUN: smopt %s --split-input-file -p 'dataflow-graph{function=@serve expand=false}' -o /dev/null 2>&1 | filecheck %s --check-prefix=FLAT
// RUN: smopt %s --split-input-file -p 'dataflow-graph{output=%t.dot}' -o /dev/null && filecheck %s < %t.dot
// RUN: smopt %s --split-input-file -p 'dataflow-graph{function=tpu}' -o /dev/null 2>&1 | filecheck %s --check-prefix=TPU
// RUN: not smopt %s --split-input-file -p 'dataflow-graph{function=nope}' -o /dev/null 2>&1 | filecheck %s --check-prefix=ERR
// RUN: smopt %s --split-input-file -p 'tpu-insert-call-stubs,dataflow-graph{function=graph}' -o /dev/null 2>&1 | filecheck %s --check-prefix=GRAPH
// RUN: smopt %s --split-input-file -p 'tpu-insert-call-stubs,dataflow-graph{function=tpu}' -o /dev/null 2>&1 | filecheck %s --check-prefix=PROGRAM
// Statistics: what was drawn (@serve: its 5 other ops, the XLA cluster's 4 and the TPU
// function's 1 inside their groups, 2 arguments and the return).
// RUN: smopt %s --split-input-file -p 'dataflow-graph{function=serve}' --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=STATS
// STATS: DataflowGraphPrinter (dataflow-graph)
// STATS-NEXT: (S) 12 num-nodes - Number of nodes drawn (ops, arguments, the return)
// STATS-NEXT: (S) 12 num-edges - Number of data and control edges drawn
// STATS-NEXT: (S) 2 num-groups - Number of XLA cluster, TPU function and TPU call stub groups drawn

// The placement's devices are dashed boxes; the XLA cluster call on the GPU is a green group
// inside the GPU's box, showing the cluster's ops; the TPU call an orange group (its ordinal
// operand and the control input from the cluster enter the group).
// CHECK: digraph "dataflow @serve" {
// CHECK-NEXT: graph [label="@serve: 6 ops", labelloc="t", fontname="Helvetica", compound="true", rankdir="TB"];
// CHECK: subgraph "cluster_device_0" {
// CHECK-NEXT: graph [label="/device:CPU:0", style="filled,dashed", fillcolor="#eff3ff", color="#3182bd"];
// CHECK-NEXT: "op0" [label="hash\nStringToHashBucketFast", tooltip="hash: tf.StringToHashBucketFast -> tensor<?xi64>\ndevice: /device:CPU:0"];
// CHECK-NEXT: "op1" [label="cast\nCast",
// CHECK-NEXT: }
// CHECK-NEXT: subgraph "cluster_device_1" {
// CHECK-NEXT: graph [label="/device:GPU:0",
// CHECK-NEXT: subgraph "cluster_xla_0" {
// CHECK-NEXT: graph [label="XLA cluster @serve_xla_cluster_0", style="filled,rounded", fillcolor="#c7e9c0", color="#238b45", penwidth="2"];
// CHECK-NEXT: "op2_0" [label="relu\nRelu",
// CHECK-NEXT: "op2_1" [label="axis\nConst",
// CHECK-NEXT: "op2_2" [label="expand\nExpandDims",
// CHECK-NEXT: "op2_3" [label="scale\nMul",
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: subgraph "cluster_tpu_1" {
// CHECK-NEXT: graph [label="TPU function @tpu", style="filled,rounded", fillcolor="#fdd0a2", color="#d94801", penwidth="2"];
// CHECK-NEXT: "op4_0" [label="tanh\nTanh",
// CHECK-NEXT: }
// CHECK-NEXT: "arg0" [label="%x\ntensor<?x4xf32>", shape="ellipse",
// CHECK-NEXT: "arg1" [label="%words\ntensor<?x!tf_type.string>", shape="ellipse",
// CHECK-NEXT: "op3" [label="ordinal\nTPUOrdinalSelector",
// CHECK-NEXT: "op5" [label="Identity\nIdentity",
// CHECK-NEXT: "return" [label="return", shape="ellipse", fillcolor="#f7f7f7", tooltip="y: tensor<?x4xf32>"];
// The cluster's arguments are the caller's values; its result feeds the TPU function.
// CHECK-NEXT: "arg1" -> "op0" [tooltip="tensor<?x!tf_type.string>"];
// CHECK-NEXT: "op0" -> "op1" [tooltip="tensor<?xi64>"];
// CHECK-NEXT: "arg0" -> "op2_0" [tooltip="tensor<?x4xf32>"];
// CHECK-NEXT: "op1" -> "op2_2" [tooltip="tensor<?xf32>"];
// CHECK-NEXT: "op2_1" -> "op2_2" [tooltip="tensor<i32>"];
// CHECK-NEXT: "op2_0" -> "op2_3" [tooltip="tensor<?x4xf32>"];
// CHECK-NEXT: "op2_2" -> "op2_3" [tooltip="tensor<?x1xf32>"];
// CHECK-NEXT: "op2_3" -> "op4_0" [tooltip="tensor<?x4xf32>"];
// CHECK-NEXT: "op2_3" -> "op4_0" [style="dashed", color="#969696", ltail="cluster_xla_0", lhead="cluster_tpu_1"];
// CHECK-NEXT: "op3" -> "op4_0" [tooltip="tensor<?xi32>", lhead="cluster_tpu_1"];
// CHECK-NEXT: "op4_0" -> "op5" [tooltip="tensor<?x4xf32>"];
// CHECK-NEXT: "op5" -> "return" [tooltip="tensor<?x4xf32>", headlabel="y"];
// CHECK-NEXT: }

// expand=false: each call is one node in its group.
// FLAT: subgraph "cluster_xla_0" {
// FLAT-NEXT: graph [label="XLA cluster @serve_xla_cluster_0",
// FLAT-NEXT: "op2" [label="xla_cluster_0\nPartitionedCall @serve_xla_cluster_0",
// FLAT: subgraph "cluster_tpu_1" {
// FLAT-NEXT: graph [label="TPU function @tpu",
// FLAT-NEXT: "op4" [label="tpu_call\nTPUPartitionedCall @tpu",
// FLAT: "op2" -> "op4" [tooltip="tensor<?x4xf32>"];
// FLAT: "op2" -> "op4" [style="dashed", color="#969696"];

// TPU: digraph "dataflow @tpu (TPU function)" {
// TPU: "arg0" -> "op0" [tooltip="tensor<?x4xf32>"];

// ERR: error: pass 'dataflow-graph' failed: no function @nope in the module

"tf_saved_model.signature"() {name = "serving_default", function = @serve, function_type = (tensor<?x4xf32>, tensor<?x!tf_type.string>) -> tensor<?x4xf32>, method_name = "tensorflow/serving/predict", input_names = ["x", "words"], input_tensors = ["serving_default_x:0", "serving_default_words:0"], output_names = ["y"], output_tensors = ["StatefulPartitionedCall:0"]} : () -> ()
"tf_saved_model.alias"() {name = "tpu_func", function = @tpu} : () -> ()
"tf.graph"() ({
  %x = "tf.Placeholder"() {dtype = f32, shape = #tf_type.shape<?x4>} : () -> tensor<?x4xf32> loc("serving_default_x")
  %w = "tf.Placeholder"() {dtype = !tf_type.string, shape = #tf_type.shape<?>} : () -> tensor<?x!tf_type.string> loc("serving_default_words")
  %0 = "tf.StatefulPartitionedCall"(%x, %w) {Tin = [f32, !tf_type.string], Tout = [f32], f = @serve} : (tensor<?x4xf32>, tensor<?x!tf_type.string>) -> tensor<?x4xf32> loc("StatefulPartitionedCall")
  %1 = "tf.StatefulPartitionedCall"(%x) {Tin = [f32], Tout = [f32], f = @tpu} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("direct_tpu")
}) : () -> ()
func.func @serve(%x: tensor<?x4xf32>, %words: tensor<?x!tf_type.string>) -> (tensor<?x4xf32> {tf.name = "y"}) {
  %0 = "tf.StringToHashBucketFast"(%words) {num_buckets = 4, device = "/device:CPU:0"} : (tensor<?x!tf_type.string>) -> tensor<?xi64> loc("hash")
  %1 = "tf.Cast"(%0) {SrcT = i64, DstT = f32, Truncate = false, device = "/device:CPU:0"} : (tensor<?xi64>) -> tensor<?xf32> loc("cast")
  %2, %c = "tf.PartitionedCall"(%x, %1) {Tin = [f32, f32], Tout = [f32], _XlaMustCompile = true, f = @serve_xla_cluster_0, device = "/device:GPU:0"} : (tensor<?x4xf32>, tensor<?xf32>) -> (tensor<?x4xf32>, !tf_executor.control) loc("xla_cluster_0")
  %3 = "tf.TPUOrdinalSelector"() : () -> tensor<?xi32> loc("ordinal")
  %4 = "tf.TPUPartitionedCall"(%2, %3, %c) {Tin = [f32], Tout = [f32], autotuner_thresh = 0, f = @tpu, smopt.tpu_call_stub = true} : (tensor<?x4xf32>, tensor<?xi32>, !tf_executor.control) -> tensor<?x4xf32> loc("tpu_call")
  %5 = "tf.Identity"(%4) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("Identity")
  return %5 : tensor<?x4xf32>
}
func.func @serve_xla_cluster_0(%arg_0: tensor<?x4xf32>, %arg_1: tensor<?xf32>) -> (tensor<?x4xf32> {tf.name = "output_0"}) attributes {_XlaMustCompile = true, _noinline = true, smopt.xla_cluster = true} {
  %0 = "tf.Relu"(%arg_0) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("relu")
  %1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("axis")
  %2 = "tf.ExpandDims"(%arg_1, %1) {T = f32, Tdim = i32} : (tensor<?xf32>, tensor<i32>) -> tensor<?x1xf32> loc("expand")
  %3 = "tf.Mul"(%0, %2) {T = f32} : (tensor<?x4xf32>, tensor<?x1xf32>) -> tensor<?x4xf32> loc("scale")
  return %3 : tensor<?x4xf32>
}
func.func @tpu(%x: tensor<?x4xf32>) -> (tensor<?x4xf32> {tf.name = "r"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.Tanh"(%x) {T = f32} : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("tanh")
  return %0 : tensor<?x4xf32>
}

// After tpu-insert-call-stubs the main graph's call of the TPU function is a TPU call (its
// group holds the TPU program) and the TPU function's ops form its TPU program's group.
// GRAPH: digraph "dataflow the main graph" {
// GRAPH: subgraph "cluster_tpu_0" {
// GRAPH-NEXT: graph [label="TPU function @tpu",
// GRAPH-NEXT: "[[T:op[0-9]+]]_0" [label="TPUReplicateMetadata\nTPUReplicateMetadata",
// GRAPH: "[[T]]_3" [label="tanh\nTanh",
// GRAPH: "op2" [label="StatefulPartitionedCall\nStatefulPartitionedCall @serve",
// GRAPH: "op1" -> "op2"
// GRAPH: "op0" -> "[[T]]_1" [tooltip="tensor<?x4xf32>"];
// GRAPH: "[[ORD:op[0-9]+]]" -> "[[T]]_0" [tooltip="tensor<?xi32>", lhead="cluster_tpu_0"];

// PROGRAM: digraph "dataflow @tpu (TPU function)" {
// PROGRAM: subgraph "cluster_tpu_0" {
// PROGRAM-NEXT: graph [label="TPU program cluster_tpu",
// PROGRAM-NEXT: "op0" [label="TPUReplicateMetadata\nTPUReplicateMetadata",
// PROGRAM-NEXT: "op2" [label="replicated_input_0\nIdentity",
// PROGRAM-NEXT: "op3" [label="tanh\nTanh",
