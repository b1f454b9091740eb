"""Test helpers shipped with the package: :class:`LocalRuntime` runs a processor on a free local port.

Example::

    from eas_client import EASClient
    from eas_client.testing import LocalRuntime

    with LocalRuntime("examples/quickstart/app.py", service="demo", token="T") as rt:
        assert EASClient(rt.endpoint, rt.token).predict(b"2 105") == b"True"
"""

from .local_runtime import LocalRuntime

__all__ = ["LocalRuntime"]
