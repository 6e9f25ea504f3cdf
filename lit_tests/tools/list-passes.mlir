// --list-passes --verbose adds each pass's statistics and long description (its module
// docstring); plain --list-passes stays one line per pass plus its options.
// RUN: smopt --list-passes --verbose | filecheck %s
// RUN: smopt --list-passes | filecheck %s --check-prefix=PLAIN

// CHECK: Available passes:
// CHECK: cse {{ +}} - Eliminate common subexpressions
// CHECK-NEXT: (S) num-cse'd - Number of operations CSE'd
// CHECK-EMPTY:
// CHECK-NEXT: cse: merge ops that compute the same value
// CHECK: dataflow-graph {{ +}} - Print one function's dataflow as Graphviz DOT
// CHECK: (S) num-nodes - Number of nodes drawn (ops, arguments, the return)
// CHECK-NEXT: (S) num-edges - Number of data and control edges drawn
// CHECK-NEXT: (S) num-groups - Number of XLA cluster, TPU function and TPU call stub groups drawn
// CHECK-EMPTY:
// CHECK-NEXT: dataflow-graph: print one function's dataflow as Graphviz DOT.
// CHECK: inline {{ +}} - Inline PartitionedCall/StatefulPartitionedCall callees
// CHECK-NEXT: max-depth=<int> (default 8) - rounds of inlining
// CHECK: (S) num-inlined - Number of call sites inlined
// CHECK-EMPTY:
// CHECK-NEXT: inline: inline the callees

// PLAIN: cse {{ +}} - Eliminate common subexpressions
// PLAIN-NOT: (S)
// PLAIN-NOT: merge ops that compute the same value
