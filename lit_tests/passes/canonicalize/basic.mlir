// RUN: smopt %s -p canonicalize --split-input-file | filecheck %s

// Identity chains fold away; returns read the source directly.
// CHECK-LABEL: func.func @chain
// CHECK-NEXT: %0 = "tf.Relu"(%x)
// CHECK-NEXT: return %0 : tensor<f32>
func.func @chain(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.Relu"(%x) {T = f32} : (tensor<f32>) -> tensor<f32> loc("relu")
  %1 = "tf.Identity"(%0) {T = f32} : (tensor<f32>) -> tensor<f32> loc("id1")
  %2 = "tf.Identity"(%1) {T = f32} : (tensor<f32>) -> tensor<f32> loc("id2")
  %3 = "tf.Cast"(%2) {SrcT = f32, DstT = f32} : (tensor<f32>) -> tensor<f32> loc("nop_cast")
  return %3 : tensor<f32>
}

// -----
// An Identity with control inputs orders its value: it stays. Control users of a folded
// Identity wait for its input's producer instead.
// CHECK-LABEL: func.func @ctl
// CHECK-NEXT: %0, %ctl_0 = "tf.Relu"(%x) {{.*}} loc("relu")
// CHECK-NEXT: %1 = "tf.Identity"(%0, %ctl_0) {{.*}} loc("gated")
// CHECK-NEXT: %2 = "tf.Neg"(%x, %ctl_0) {{.*}} loc("after")
func.func @ctl(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}, tensor<f32> {tf.name = "s"}) {
  %0, %c0 = "tf.Relu"(%x) {T = f32} : (tensor<f32>) -> (tensor<f32>, !tf_executor.control) loc("relu")
  %1 = "tf.Identity"(%0, %c0) {T = f32} : (tensor<f32>, !tf_executor.control) -> tensor<f32> loc("gated")
  %2, %c2 = "tf.Identity"(%0) {T = f32} : (tensor<f32>) -> (tensor<f32>, !tf_executor.control) loc("plain")
  %3 = "tf.Neg"(%x, %c2) {T = f32} : (tensor<f32>, !tf_executor.control) -> tensor<f32> loc("after")
  return %1, %3 : tensor<f32>, tensor<f32>
}

// -----
// NoOps: an unused one goes; one without inputs just drops its edges; a NoOp with one
// dependent is bypassed (then the Identity it gated folds too); a NoOp that is a function
// control output stays.
// CHECK-LABEL: func.func @noops
// CHECK-NOT: loc("unused")
// CHECK-NOT: loc("empty")
// CHECK-NOT: loc("fwd")
// CHECK: %ctl_0 = "tf.AssignVariableOp"{{.*}} loc("a1")
// CHECK-NEXT: %ctl_1 = "tf.AssignVariableOp"{{.*}} loc("a2")
// CHECK-NEXT: %0 = "tf.Identity"(%x, %ctl_0, %ctl_1) {{.*}} loc("r2")
// CHECK-NEXT: %ctl_2 = "tf.NoOp"(%ctl_0) {{.*}} loc("kept")
// CHECK-NEXT: return %x, %0, %ctl_2
func.func @noops(%v: tensor<!tf_type.resource>, %x: tensor<f32>) -> (tensor<f32> {tf.name = "a"}, tensor<f32> {tf.name = "b"}) {
  "tf.NoOp"() : () -> () loc("unused")
  %e = "tf.NoOp"() : () -> !tf_executor.control loc("empty")
  %a1 = "tf.AssignVariableOp"(%v, %x) {dtype = f32} : (tensor<!tf_type.resource>, tensor<f32>) -> !tf_executor.control loc("a1")
  %a2 = "tf.AssignVariableOp"(%v, %x) {dtype = f32} : (tensor<!tf_type.resource>, tensor<f32>) -> !tf_executor.control loc("a2")
  %fwd = "tf.NoOp"(%a1, %a2) : (!tf_executor.control, !tf_executor.control) -> !tf_executor.control loc("fwd")
  %r1 = "tf.Identity"(%x, %e) {T = f32} : (tensor<f32>, !tf_executor.control) -> tensor<f32> loc("r1")
  %r2 = "tf.Identity"(%x, %fwd) {T = f32} : (tensor<f32>, !tf_executor.control) -> tensor<f32> loc("r2")
  %kept = "tf.NoOp"(%a1) : (!tf_executor.control) -> !tf_executor.control loc("kept")
  return %r1, %r2, %kept : tensor<f32>, tensor<f32>, !tf_executor.control
}

// -----
// TF2's return pattern `Identity(y, ^NoOp)` where the NoOp only waits for the function's
// control outputs: the call completes after those anyway, so the Identity and NoOp fold.
// An Identity gated on something that is not a control output stays.
// CHECK-LABEL: func.func @ret_pattern
// CHECK-NEXT: %0, %ctl_0 = "tf.ReadVariableOp"(%v) {{.*}} loc("read")
// CHECK-NEXT: %1, %ctl_1 = "tf.Relu"(%0) {{.*}} loc("relu")
// CHECK-NEXT: %2 = "tf.Identity"(%x, %ctl_1) {{.*}} loc("gated_elsewhere")
// CHECK-NEXT: return %1, %2, %ctl_0
func.func @ret_pattern(%v: tensor<!tf_type.resource>, %x: tensor<f32>) -> (tensor<f32> {tf.name = "a"}, tensor<f32> {tf.name = "b"}) {
  %r, %rc = "tf.ReadVariableOp"(%v) {dtype = f32} : (tensor<!tf_type.resource>) -> (tensor<f32>, !tf_executor.control) loc("read")
  %y, %yc = "tf.Relu"(%r) {T = f32} : (tensor<f32>) -> (tensor<f32>, !tf_executor.control) loc("relu")
  %n = "tf.NoOp"(%rc) : (!tf_executor.control) -> !tf_executor.control loc("NoOp")
  %id = "tf.Identity"(%y, %n) {T = f32} : (tensor<f32>, !tf_executor.control) -> tensor<f32> loc("Identity")
  %g = "tf.Identity"(%x, %yc) {T = f32} : (tensor<f32>, !tf_executor.control) -> tensor<f32> loc("gated_elsewhere")
  return %id, %g, %rc : tensor<f32>, tensor<f32>, !tf_executor.control
}

// -----
// An Identity of an argument whose control token is a function control output stays (the
// control output names it); its value users still read the argument.
// CHECK-LABEL: func.func @arg_control_output
// CHECK-NEXT: %0, %ctl_0 = "tf.Identity"(%x) {{.*}} loc("id")
// CHECK-NEXT: %1 = "tf.Neg"(%x) {{.*}} loc("neg")
// CHECK-NEXT: return %1, %ctl_0 : tensor<f32>, !tf_executor.control
func.func @arg_control_output(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0, %c0 = "tf.Identity"(%x) {T = f32} : (tensor<f32>) -> (tensor<f32>, !tf_executor.control) loc("id")
  %1 = "tf.Neg"(%0) {T = f32} : (tensor<f32>) -> tensor<f32> loc("neg")
  return %1, %c0 : tensor<f32>, !tf_executor.control
}
