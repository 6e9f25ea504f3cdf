// The seed's three topologies with the same model: the core count alone is ambiguous, the
// topology's mesh_shape tells pf_1x2x1 ([1,2,1,1]) from df_1x1 ([1,1,1,2]); without a
// device_assignment the first num_cores_per_replica devices of the topology are used.
// RUN: smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a040102010122080000000000010000}' | filecheck %s --check-prefix=PF
// RUN: smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a040101010222080000000000000001}' | filecheck %s --check-prefix=DF
// RUN: smopt %s -p 'xla-spmd-shard{num-cores-per-replica=4 topology=0a040202010222200000000000000001000100000001000101000000010000010101000001010001}' | filecheck %s --check-prefix=DF4
// RUN: smopt %s -p 'xla-spmd-shard{num-cores-per-replica=4 device-assignment=1,1,0,1,1,1,0,0,0,0,0,1,0,0,0,0 topology=0a040202010222200000000000000001000100000001000101000000010000010101000001010001}' | filecheck %s --check-prefix=DA
// RUN: smopt %s -p xla-spmd-shard | filecheck %s --check-prefix=ONE
// RUN: smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a040102010122080000000000010000}' --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=STATS

// Policy: inputs replicated; each weight split along its largest dimension divisible by the
// core count (w: 32 -> dim 1, b: dim 0, w2 6x10: dim 1 with 2 cores, none with 4), the rest
// (scalars, odd sizes) replicated.

// PF-LABEL: func.func @tpu
// PF-SAME: smopt.sharding.device_assignment = [0, 0, 0, 0, 0, 1, 0, 0], smopt.sharding.mesh_shape = [1, 2, 1, 1], smopt.sharding.num_cores_per_replica = 2, smopt.sharding.topology = "\0A\04\01\02\01\01\22\08\00\00\00\00\00\01\00\00", smopt.sharding.use_spmd_for_xla_partitioning = true, smopt.tpu_function = true
// PF-NEXT: %0 = "tf.XlaSharding"(%x) {T = f32, _XlaSharding = "", sharding = "", smopt.sharding = "{replicated}", unspecified_dims = []} : (tensor<?x16xf32>) -> tensor<?x16xf32> loc("x/XlaSharding")
// PF-NEXT: %1, %ctl_0 = "tf.ReadVariableOp"(%w)
// PF-NEXT: %2 = "tf.XlaSharding"(%1) {T = f32, _XlaSharding = "\08\03\1A\02\01\02\22\02\00\01", sharding = "\08\03\1A\02\01\02\22\02\00\01", smopt.sharding = "{devices=[1,2]0,1}", unspecified_dims = []} : (tensor<16x32xf32>) -> tensor<16x32xf32> loc("MatMul/ReadVariableOp/XlaSharding")
// PF-NEXT: %3 = "tf.MatMul"(%0, %2)
// PF-NEXT: %4 = "tf.ReadVariableOp"(%b)
// PF-NEXT: %5 = "tf.XlaSharding"(%4) {{.*}} smopt.sharding = "{devices=[2]0,1}"
// PF-NEXT: %6 = "tf.AddV2"(%3, %5)
// PF-NEXT: %7 = "tf.ReadVariableOp"(%w2)
// PF-NEXT: %8 = "tf.XlaSharding"(%7) {{.*}} smopt.sharding = "{devices=[1,2]0,1}"
// PF-NEXT: %9 = "tf.ReadVariableOp"(%s)
// PF-NEXT: %10 = "tf.XlaSharding"(%9) {{.*}} smopt.sharding = "{replicated}"
// PF-NEXT: %11 = "tf.Mul"(%6, %10)
// PF-NEXT: return %11, %8, %ctl_0

// DF-LABEL: func.func @tpu
// DF-SAME: smopt.sharding.device_assignment = [0, 0, 0, 0, 0, 0, 0, 1], smopt.sharding.mesh_shape = [1, 1, 1, 2], smopt.sharding.num_cores_per_replica = 2, smopt.sharding.topology = "\0A\04\01\01\01\02\22\08\00\00\00\00\00\00\00\01"
// DF: smopt.sharding = "{devices=[1,2]0,1}"

// DF4-LABEL: func.func @tpu
// DF4-SAME: smopt.sharding.device_assignment = [0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1], smopt.sharding.mesh_shape = [2, 2, 1, 2], smopt.sharding.num_cores_per_replica = 4
// DF4-NEXT: "tf.XlaSharding"(%x) {{.*}} smopt.sharding = "{replicated}"
// DF4-NEXT: "tf.ReadVariableOp"(%w)
// DF4-NEXT: "tf.XlaSharding"(%1) {T = f32, _XlaSharding = "\08\03\1A\02\01\04\22\04\00\01\02\03", sharding = "\08\03\1A\02\01\04\22\04\00\01\02\03", smopt.sharding = "{devices=[1,4]0,1,2,3}"
// DF4: "tf.XlaSharding"(%4) {{.*}} smopt.sharding = "{devices=[4]0,1,2,3}"
// DF4: "tf.XlaSharding"(%7) {{.*}} smopt.sharding = "{replicated}"
// DF4: "tf.XlaSharding"(%9) {{.*}} smopt.sharding = "{replicated}"

// An explicit device_assignment is kept as given (logical core i -> [x,y,z,core]).
// DA-LABEL: func.func @tpu
// DA-SAME: smopt.sharding.device_assignment = [1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], smopt.sharding.mesh_shape = [2, 2, 1, 2], smopt.sharding.num_cores_per_replica = 4

// One core (the default) needs no topology: everything is replicated.
// ONE-LABEL: func.func @tpu
// ONE-SAME: smopt.sharding.device_assignment = [], smopt.sharding.num_cores_per_replica = 1, smopt.sharding.topology = "", smopt.sharding.use_spmd_for_xla_partitioning = true
// ONE-NOT: devices=
// ONE: return

// Functions that are not TPU functions are left alone.
// PF-LABEL: func.func @cpu
// PF-NOT: smopt.sharding
// PF-NEXT: "tf.ReadVariableOp"(%v)
// PF-NEXT: return

// STATS: XlaSpmdShard (xla-spmd-shard)
// STATS-NEXT: (S) 1 num-functions
// STATS-NEXT: (S) 3 num-weights-split
// STATS-NEXT: (S) 1 num-weights-replicated
// STATS-NEXT: (S) 1 num-inputs-annotated
// STATS-NEXT: (S) 0 num-metadata-ops

func.func @tpu(%x: tensor<?x16xf32> {_user_specified_name = "x"}, %w: tensor<*x!tf_type.resource<tensor<16x32xf32>>>, %b: tensor<*x!tf_type.resource<tensor<32xf32>>>, %w2: tensor<*x!tf_type.resource<tensor<6x10xf32>>>, %s: tensor<*x!tf_type.resource<tensor<f32>>>) -> (tensor<?x32xf32> {tf.name = "y"}, tensor<6x10xf32> {tf.name = "w2"}) attributes {smopt.tpu_function = true} {
  %0, %ctl_0 = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<16x32xf32>>>) -> (tensor<16x32xf32>, !tf_executor.control) loc("MatMul/ReadVariableOp")
  %1 = "tf.MatMul"(%x, %0) {T = f32} : (tensor<?x16xf32>, tensor<16x32xf32>) -> tensor<?x32xf32> loc("MatMul")
  %2 = "tf.ReadVariableOp"(%b) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<32xf32>>>) -> tensor<32xf32> loc("add/ReadVariableOp")
  %3 = "tf.AddV2"(%1, %2) {T = f32} : (tensor<?x32xf32>, tensor<32xf32>) -> tensor<?x32xf32> loc("add")
  %4 = "tf.ReadVariableOp"(%w2) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<6x10xf32>>>) -> tensor<6x10xf32> loc("w2/ReadVariableOp")
  %5 = "tf.ReadVariableOp"(%s) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<f32>>>) -> tensor<f32> loc("mul/ReadVariableOp")
  %6 = "tf.Mul"(%3, %5) {T = f32} : (tensor<?x32xf32>, tensor<f32>) -> tensor<?x32xf32> loc("mul")
  return %6, %4, %ctl_0 : tensor<?x32xf32>, tensor<6x10xf32>, !tf_executor.control
}

func.func @cpu(%v: tensor<*x!tf_type.resource<tensor<16x32xf32>>>) -> (tensor<16x32xf32> {tf.name = "r"}) {
  %0 = "tf.ReadVariableOp"(%v) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<16x32xf32>>>) -> tensor<16x32xf32> loc("read")
  return %0 : tensor<16x32xf32>
}
