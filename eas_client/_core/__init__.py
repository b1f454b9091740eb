"""Sans-IO core: every decision of a call as pure functions. Imports no engine, clock or randomness."""
