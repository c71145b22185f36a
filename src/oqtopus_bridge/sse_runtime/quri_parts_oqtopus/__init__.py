"""A stand-in for quri-parts-oqtopus inside the local server's SSE runtime (``docs/sse.md``).

Only the backend API exists: ``quri_parts_oqtopus.backend`` and its module paths of 1.0.x and
1.1.x, mapped onto oqtopus-bridge's documented classes.
"""

__version__ = "1.1.5+oqtopus-bridge"
