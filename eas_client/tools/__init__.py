"""The processor workflow behind the ``eas`` command: ``eas pack`` (validate and package a processor
directory)."""
