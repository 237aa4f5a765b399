"""``python -m rtcc_desktop`` is the same as the ``rtcc-desktop`` command."""

from rtcc_desktop.cli import main

raise SystemExit(main())
