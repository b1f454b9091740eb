"""A "tensor sum" processor, written exactly as for EAS: it reads a TensorFlow PredictRequest and
answers a PredictResponse with every input echoed back plus ``sum``, the float64 sum of all
numeric inputs. Honours output_filter (fetches) like the TF processor does.

Run it locally with ``python examples/tensor/app.py`` (port 8080) or ``eas serve examples/tensor/app.py``,
then call it::

    import numpy as np
    from eas_client import EASClient
    from eas_client.payloads import TFRequest

    resp = EASClient("http://127.0.0.1:8080/api/predict/demo").predict(
        TFRequest().add_feed("x", np.arange(4, dtype=np.float32))
    )
    resp.get("sum")  # array(6.)
"""

import numpy as np

import allspark
from eas_client import PayloadError
from eas_client.payloads import decode_tf_request, encode_tf_response


class TensorSum(allspark.BaseProcessor):
    def initialize(self):
        self.requests = 0

    def process(self, data):
        try:
            req = decode_tf_request(data)
        except PayloadError as exc:  # a bad body is the caller's fault: 400, never a crash
            return str(exc).encode(), 400
        self.requests += 1
        outputs = {name: req.inputs.get(name) for name in req.inputs.keys()}
        numeric = [v for v in outputs.values() if v.dtype.kind in "biuf"]
        outputs["sum"] = np.float64(sum(float(np.sum(v, dtype=np.float64)) for v in numeric))
        if req.fetches:
            missing = [f for f in req.fetches if f not in outputs]
            if missing:
                return f"unknown fetch {missing}".encode(), 400
            outputs = {f: outputs[f] for f in req.fetches}
        return encode_tf_response(outputs), 200


if __name__ == "__main__":
    TensorSum(worker_threads=4).run()
