"""Typed payloads for the EAS TensorFlow and PyTorch processors (protobuf on the wire).

Example::

    import numpy as np
    from eas_client import EASClient
    from eas_client.payloads import TFRequest

    req = TFRequest().add_feed("x", np.arange(6, dtype=np.float32).reshape(2, 3))
    resp = EASClient(endpoint, token=token).predict(req)
    resp.get("y")  # numpy.ndarray

See docs/payloads.md for the dtype table and the numpy fast path.
"""

from ._dtypes import DataType
from .tf import TFInputs, TFRequest, TFRequestData, TFResponse, decode_tf_request, encode_tf_response
from .torch import TorchRequest, TorchResponse

__all__ = [
    "DataType",
    "TFInputs",
    "TFRequest",
    "TFRequestData",
    "TFResponse",
    "TorchRequest",
    "TorchResponse",
    "decode_tf_request",
    "encode_tf_response",
]
