"""The quickstart processor, written exactly as for EAS: ``"2 105"`` → ``True``.

It models y = w1 * x + w0 with w0 = 100 and w1 = 2, and answers whether the second number is
above the line at the first: for "2 105", y = 2 * 2 + 100 = 104 and 105 > 104, so "True".
Run it locally with ``python examples/quickstart/app.py`` (port 8080) or ``eas serve``.
"""

import allspark


class MyProcessor(allspark.BaseProcessor):
    def initialize(self):
        self.w0 = 100
        self.w1 = 2

    def pre_process(self, data):
        x, y = data.split(b" ")
        return int(x), int(y)

    def process(self, data):
        x, y = self.pre_process(data)
        return str(y > self.w1 * x + self.w0).encode(), 200


if __name__ == "__main__":
    runner = MyProcessor(worker_threads=10)
    runner.run()
