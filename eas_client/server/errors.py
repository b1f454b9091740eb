"""The one error the local runtime raises for what it cannot serve."""

from __future__ import annotations


class ServeError(Exception):
    """A processor file, app.json or listen address the runtime cannot serve; the message says
    what to fix. ``eas serve`` and ``python app.py`` print it and exit; library callers such as
    :class:`eas_client.testing.LocalRuntime` get it as an exception they can catch.

    Example::

        try:
            LocalRuntime("missing.py")
        except ServeError as exc:
            print(exc)  # processor file missing.py not found
    """
