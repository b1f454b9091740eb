"""Distributed batch scoring: run ``predict_many`` inside Ray Data and Apache Spark workers.

``eas_client.integrations.ray`` (extra ``[ray]``) and ``eas_client.integrations.spark`` (extra
``[spark]``) share :mod:`eas_client.integrations._scoring`: one client per worker process, its own
event loop thread, answers and per-row errors as columns, and a summary log line per task.
See docs/distributed.md.
"""
