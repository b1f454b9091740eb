"""The local EAS-compatible runtime (extra ``[server]``): ``eas serve app.py`` or
:class:`eas_client.testing.LocalRuntime`. See docs/local-runtime.md."""

from .allspark import BaseProcessor, default_properties, get_model_path
from .errors import ServeError
from .faults import FaultSpec
from .runtime import Runtime, build_runtime

__all__ = [
    "BaseProcessor",
    "FaultSpec",
    "Runtime",
    "ServeError",
    "build_runtime",
    "default_properties",
    "get_model_path",
]
