"""HTTP engines behind one tiny interface. Each adapter maps its engine's exceptions onto
ConnectError / ReadError / ReadTimeoutError, so nothing above sees engine internals."""
