"""The execution engine: transpile, simulate, combine, estimate, mitigate and run SSE programs.

Nothing here imports FastAPI; the engine reads and writes jobs through the repository and storage.
"""
