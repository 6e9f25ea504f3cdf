// Every invalid XlaShardingOptions value is reported in one line naming the problem.
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=0}' 2>&1 | filecheck %s --check-prefix=CORES
// CORES: smopt: error: pass 'xla-spmd-shard' failed: num_cores_per_replica must be >= 1, got 0
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2}' 2>&1 | filecheck %s --check-prefix=NOTOPO
// NOTOPO: smopt: error: pass 'xla-spmd-shard' failed: topology is required when num_cores_per_replica > 1 (got num_cores_per_replica = 2): the core count alone is ambiguous (pf_1x2x1 vs df_1x1)
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=zz01}' 2>&1 | filecheck %s --check-prefix=HEX
// HEX: smopt: error: pass 'xla-spmd-shard' failed: topology must be the hex of a serialized tensorflow.tpu.TopologyProto, got 'zz01'
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=ffff}' 2>&1 | filecheck %s --check-prefix=PROTO
// PROTO: smopt: error: pass 'xla-spmd-shard' failed: topology does not parse as a serialized tensorflow.tpu.TopologyProto
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a030102012206000000000100}' 2>&1 | filecheck %s --check-prefix=MESH
// MESH: smopt: error: pass 'xla-spmd-shard' failed: topology mesh_shape must have 4 entries [x, y, z, core], got [1,2,1]
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a0401000101}' 2>&1 | filecheck %s --check-prefix=MESH0
// MESH0: smopt: error: pass 'xla-spmd-shard' failed: topology mesh_shape entries must be positive, got [1,0,1,1]
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a0401020101220700000000000100}' 2>&1 | filecheck %s --check-prefix=COORDS
// COORDS: smopt: error: pass 'xla-spmd-shard' failed: topology device_coordinates must have 4 entries [x, y, z, core] per device: mesh_shape [1,2,1,1] has 2 devices, so 8 entries, got 7
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a040102010122080000000000020000}' 2>&1 | filecheck %s --check-prefix=OUTSIDE
// OUTSIDE: smopt: error: pass 'xla-spmd-shard' failed: topology device_coordinates: device 1 at [0,2,0,0] lies outside mesh_shape [1,2,1,1]
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a040102010122080000000000000000}' 2>&1 | filecheck %s --check-prefix=DUP
// DUP: smopt: error: pass 'xla-spmd-shard' failed: topology device_coordinates: devices 0 and 1 are both at [0,0,0,0]
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a04010201011001180422080000000000010000}' 2>&1 | filecheck %s --check-prefix=TASKS
// TASKS: smopt: error: pass 'xla-spmd-shard' failed: topology has num_tasks * num_tpu_devices_per_task = 1 * 4 = 4 devices but mesh_shape [1,2,1,1] has 2
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=4 topology=0a040102010122080000000000010000}' 2>&1 | filecheck %s --check-prefix=FEW
// FEW: smopt: error: pass 'xla-spmd-shard' failed: topology has 2 devices (mesh_shape [1,2,1,1]), fewer than num_cores_per_replica = 4
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 device-assignment=0,0,0,0 topology=0a040102010122080000000000010000}' 2>&1 | filecheck %s --check-prefix=DALEN
// DALEN: smopt: error: pass 'xla-spmd-shard' failed: device_assignment must have num_cores_per_replica * 4 = 8 entries in [x, y, z, core] format, got 4
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 device-assignment=0,0,0,0,0,0,0,1 topology=0a040102010122080000000000010000}' 2>&1 | filecheck %s --check-prefix=DAOUT
// DAOUT: smopt: error: pass 'xla-spmd-shard' failed: device_assignment: core 1 at [0,0,0,1] lies outside the topology's mesh_shape [1,2,1,1]
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 device-assignment=0,1,0,0,0,1,0,0 topology=0a040102010122080000000000010000}' 2>&1 | filecheck %s --check-prefix=DADUP
// DADUP: smopt: error: pass 'xla-spmd-shard' failed: device_assignment: cores 0 and 1 are both assigned to [0,1,0,0]
// RUN: not smopt %s -p 'xla-spmd-shard{device-assignment=0,0,0,0}' 2>&1 | filecheck %s --check-prefix=DANOTOPO
// DANOTOPO: smopt: error: pass 'xla-spmd-shard' failed: device_assignment needs a topology (the coordinates refer to its mesh)
// RUN: not smopt %s -p 'xla-spmd-shard{overrides=w}' 2>&1 | filecheck %s --check-prefix=OSYNTAX
// OSYNTAX: smopt: error: pass 'xla-spmd-shard' failed: override 'w' must be REGEX:DIM or REGEX:replicate
// RUN: not smopt %s -p 'xla-spmd-shard{overrides=w:first}' 2>&1 | filecheck %s --check-prefix=ODIM
// ODIM: smopt: error: pass 'xla-spmd-shard' failed: override 'w:first' must be REGEX:DIM or REGEX:replicate (DIM a dimension index)
// RUN: not smopt %s -p 'xla-spmd-shard{overrides=w:-1}' 2>&1 | filecheck %s --check-prefix=ONEG
// ONEG: smopt: error: pass 'xla-spmd-shard' failed: override 'w:-1': the dimension must be >= 0
// RUN: not smopt %s -p 'xla-spmd-shard{overrides=w[:0}' 2>&1 | filecheck %s --check-prefix=ORE
// ORE: smopt: error: pass 'xla-spmd-shard' failed: override 'w[:0': bad regular expression: unterminated character set at position 1
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a040102010122080000000000010000 overrides=^w$:2}' 2>&1 | filecheck %s --check-prefix=ORANK
// ORANK: smopt: error: pass 'xla-spmd-shard' failed: override '^w$:2' splits dimension 2 of weight %w (tensor<3x4xf32>), which has rank 2
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a040102010122080000000000010000 overrides=^w$:0}' 2>&1 | filecheck %s --check-prefix=ODIV
// ODIV: smopt: error: pass 'xla-spmd-shard' failed: override '^w$:0' splits dimension 0 of weight %w (tensor<3x4xf32>), whose size 3 is not divisible by num_cores_per_replica = 2
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a040102010122080000000000010000 overrides=^u$:0}' 2>&1 | filecheck %s --check-prefix=OUNRANKED
// OUNRANKED: smopt: error: pass 'xla-spmd-shard' failed: override '^u$:0' splits dimension 0 of input %u (tensor<*xf32>), whose rank is unknown
// RUN: not smopt %s -p 'xla-spmd-shard{overrides=kernel:1}' 2>&1 | filecheck %s --check-prefix=ONONE
// ONONE: smopt: error: pass 'xla-spmd-shard' failed: override 'kernel:1' matches no weight or input of the TPU functions
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a040102010122080000000000010000}' --split-input-file 2>&1 | filecheck %s --check-prefix=NOTPU
// NOTPU: smopt: error: pass 'xla-spmd-shard' failed: no TPU function to shard: mark one with the function attribute smopt.tpu_function = true (tpu-select-functions does)

func.func @tpu(%x: tensor<?x3xf32>, %u: tensor<*xf32>, %w: tensor<*x!tf_type.resource<tensor<3x4xf32>>>) -> (tensor<?x4xf32> {tf.name = "y"}, tensor<*xf32> {tf.name = "u"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<3x4xf32>>>) -> tensor<3x4xf32> loc("ReadVariableOp")
  %1 = "tf.MatMul"(%x, %0) {T = f32} : (tensor<?x3xf32>, tensor<3x4xf32>) -> tensor<?x4xf32> loc("MatMul")
  %2 = "tf.Neg"(%u) {T = f32} : (tensor<*xf32>) -> tensor<*xf32> loc("neg")
  return %1, %2 : tensor<?x4xf32>, tensor<*xf32>
}

// -----
func.func @cpu_only(%x: tensor<f32>) -> (tensor<f32> {tf.name = "y"}) {
  return %x : tensor<f32>
}

// -----
// Annotations already present must fit the core count (here: a re-run with 4 cores over a
// 2-core result).
// RUN: not smopt %s -p 'xla-spmd-shard{num-cores-per-replica=2 topology=0a040102010122080000000000010000},xla-spmd-shard{num-cores-per-replica=4 topology=0a040202010222200000000000000001000100000001000101000000010000010101000001010001}' --split-input-file 2>&1 | filecheck %s --check-prefix=EXISTING
// EXISTING: smopt: error: pass 'xla-spmd-shard' failed: XlaSharding 'ReadVariableOp/XlaSharding' in @tpu2 tiles over 2 devices but num_cores_per_replica = 4
func.func @tpu2(%x: tensor<?x4xf32>, %w: tensor<*x!tf_type.resource<tensor<4x4xf32>>>) -> (tensor<?x4xf32> {tf.name = "y"}) attributes {smopt.tpu_function = true} {
  %0 = "tf.ReadVariableOp"(%w) {dtype = f32} : (tensor<*x!tf_type.resource<tensor<4x4xf32>>>) -> tensor<4x4xf32> loc("ReadVariableOp")
  %1 = "tf.MatMul"(%x, %0) {T = f32} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("MatMul")
  return %1 : tensor<?x4xf32>
}
