"""The processor workflow behind the ``eas`` command: ``pack`` (validate and package a processor
directory, upload it to OSS), ``deploy`` / ``status`` / ``delete`` (the EAS control plane) and
``doctor`` (check a service end to end)."""
