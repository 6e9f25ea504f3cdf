# lit configuration for smopt's golden tests: `// RUN: smopt %s -p cse | filecheck %s`.
import os
import shutil

import lit.formats

config.name = "smopt"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "lit.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.test_source_root, "Output")

for tool in ("smopt", "filecheck"):
    path = shutil.which(tool)
    if path is None:
        lit_config.fatal(f"'{tool}' not found on PATH; run `bash tools/dev test` (it installs the project)")
    config.substitutions.append((rf"\b{tool}\b(?![.-])", path))
config.substitutions.append(("%python", shutil.which("python") or "python3"))
# Graphviz's `dot` renders the graph passes' output where it is installed (REQUIRES: dot).
if shutil.which("dot"):
    config.available_features.add("dot")
config.environment["PYTHONDONTWRITEBYTECODE"] = "1"
# The pass-manager test passes (test-fail, test-crash, test-break-ir) exist only for tests.
config.environment["SMOPT_TEST_PASSES"] = "1"
for var in ("HOME", "PATH", "TMPDIR"):
    if var in os.environ:
        config.environment[var] = os.environ[var]
