"""Side-by-side performance suite: ``python -m benchmarks`` (``make bench``); see README.md."""
