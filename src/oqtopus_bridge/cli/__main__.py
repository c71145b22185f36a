"""``python -m oqtopus_bridge.cli``: the same as the ``oqtopus-bridge`` command."""

from __future__ import annotations

import sys

from oqtopus_bridge.cli import main

sys.exit(main())
