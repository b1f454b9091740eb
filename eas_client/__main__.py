"""``python -m eas_client`` is the ``eas`` command."""

from .cli import main

raise SystemExit(main())
