"""Local stand-in for EAS's ``allspark`` processor SDK, so a processor file written for EAS runs
unchanged on a machine without it: ``python app.py`` serves it on 127.0.0.1:8080.

It never hides the real SDK. It is a single module, so installing eas-client beside a real
``allspark`` package overwrites no file of it, and Python's import system prefers a package (or
an extension module) over a module of the same name in one directory. A real ``allspark`` that
sits later on ``sys.path`` than this file is found here and loaded in this module's place.

Example::

    import allspark


    class MyProcessor(allspark.BaseProcessor): ...
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys


def _real_spec() -> importlib.machinery.ModuleSpec | None:
    """The spec of another ``allspark`` on ``sys.path``, skipping the directory of this file."""
    here = os.path.dirname(os.path.abspath(__file__))
    others = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec(__name__, others)
    if spec is None or spec.origin is None or os.path.abspath(spec.origin) == os.path.abspath(__file__):
        return None
    return spec


_spec = _real_spec()
if _spec is not None and _spec.loader is not None:
    # The import system returns whatever sys.modules holds once this module finishes, so the real
    # SDK replaces the stand-in for every importer.
    _real = importlib.util.module_from_spec(_spec)
    sys.modules[__name__] = _real
    _spec.loader.exec_module(_real)
else:
    try:
        from eas_client.server.allspark import BaseProcessor, default_properties, get_model_path
    except ImportError as exc:  # the local runtime's web stack is the [server] extra
        raise ImportError(
            f"the local allspark stand-in needs the local runtime: pip install 'eas-client[server]' ({exc})"
        ) from exc

    __all__ = ["BaseProcessor", "default_properties", "get_model_path"]
