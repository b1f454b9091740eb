"""The local EAS-compatible runtime (extra ``[server]``): ``eas serve app.py`` or
:class:`eas_client.testing.LocalRuntime`. See docs/local-runtime.md."""

from . import allspark
from .allspark import BaseProcessor, default_properties, get_model_path
from .errors import ServeError
from .faults import FaultSpec
from .runtime import Runtime, build_runtime
from .serve import serve_processor

# BaseProcessor.run() outside `eas serve` serves in the foreground. The shim cannot import the
# runtime (which imports the shim), so the runtime's package hands it the entry point instead.
allspark.use_launcher(serve_processor)

__all__ = [
    "BaseProcessor",
    "FaultSpec",
    "Runtime",
    "ServeError",
    "build_runtime",
    "default_properties",
    "get_model_path",
]
