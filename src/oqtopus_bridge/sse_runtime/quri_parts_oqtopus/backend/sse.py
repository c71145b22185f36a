"""``quri_parts_oqtopus.backend.sse``: the names of ``quri_parts_oqtopus.backend``.

The module path of quri-parts-oqtopus 1.0.x.
"""

from quri_parts_oqtopus.backend import *  # noqa: F403
from quri_parts_oqtopus.backend import __all__ as __all__
