"""User-facing errors: each carries one line that names the problem (and the path)."""


class SmoptError(Exception):
    """An error caused by the user's input; the CLI prints `smopt: error: <message>`."""

    traceback = None  # the formatted traceback behind it, where one helps (shown with --debug)


class PassFailure(SmoptError):
    """A pass reported failure or raised; carries the pass name."""

    def __init__(self, pass_name, message, reproducer=None, traceback=None):
        self.pass_name = pass_name
        self.reproducer = reproducer
        self.traceback = traceback  # the formatted traceback of a crash, shown with --debug
        text = f"pass '{pass_name}' failed: {message}"
        if reproducer:
            text += f" (reproducer written to {reproducer})"
        super().__init__(text)
