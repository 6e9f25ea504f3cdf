"""The README's main job: build an example SavedModel, lift it, print the IR and a summary.

    bash tools/dev demo            # the alias model (a TPU function with a function alias)
    bash tools/dev demo keras_cnn  # another example: alias, control_flow, keras_cnn, strings
"""
from __future__ import annotations

import os
import sys
import tempfile


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    name = argv[0] if argv else "alias"
    from smopt.compiler import examples
    if name not in examples.EXAMPLES:
        print(f"smopt-demo: error: unknown example '{name}' (have: {', '.join(examples.EXAMPLES)})",
              file=sys.stderr)
        return 2
    out = os.path.join(tempfile.gettempdir(), f"smopt-example-{name}")
    if not os.path.exists(os.path.join(out, "saved_model.pb")):
        print(f"// building example SavedModel '{name}' in {out}", file=sys.stderr)
        examples.EXAMPLES[name](out)
    from smopt.tools import smopt
    return smopt.main([out, "--summary", "--elide-constants-larger-than", "16",
                       "-p", "call-graph"] + argv[1:])


if __name__ == "__main__":
    sys.exit(main())
