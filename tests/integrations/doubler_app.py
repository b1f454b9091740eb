"""The scoring tests' processor: ``b"3"`` → ``[3.0, 6.0]`` as JSON; ``b"bad..."`` is rejected with 400."""

import json

import allspark


class Doubler(allspark.BaseProcessor):
    def process(self, data: bytes) -> tuple[bytes, int]:
        if data.startswith(b"bad"):
            return b"rejected: not a number", 400
        x = float(data)
        return json.dumps([x, 2 * x]).encode(), 200
