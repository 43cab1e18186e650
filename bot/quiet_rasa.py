"""Rasa's command line without the libraries' deprecation warnings.

`python -m bot.quiet_rasa run ...` is `rasa run ...` with the warnings Rasa's dependencies give
about their own future (pkg_resources, distutils, Keras, matplotlib, pyparsing, Click...) kept out
of its output; every other warning, log line and error is printed as before. PYTHONWARNINGS alone
cannot hide them: Sanic turns DeprecationWarning back on when it is imported, so they are dropped
where warnings are shown instead. The launcher runs Rasa this way unless `--verbose`.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any, Optional, TextIO, Type

LIBRARY_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def install() -> None:
    """From now on, this process shows no warning of the `LIBRARY_WARNINGS` categories."""
    show = warnings.showwarning

    def show_unless_deprecation(
        message: Any,
        category: Type[Warning],
        filename: str,
        lineno: int,
        file: Optional[TextIO] = None,
        line: Optional[str] = None,
    ) -> None:
        if not issubclass(category, LIBRARY_WARNINGS):
            show(message, category, filename, lineno, file, line)

    warnings.showwarning = show_unless_deprecation


def main() -> None:
    """What the `rasa` console script does, after `install()`."""
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    sys.exit(rasa_main())


if __name__ == "__main__":
    main()
