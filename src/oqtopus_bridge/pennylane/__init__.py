"""PennyLane devices ``oqtopus.sampler`` and ``oqtopus.estimator`` running tapes on OQTOPUS."""
