"""Pydantic request bodies of the user API (FastAPI answers schema errors with its default 422)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

JobType = Literal["estimation", "sampling", "multi_manual", "sse"]
MAX_SHOTS = 10_000_000


class SubmitJobRequest(BaseModel):
    """``jobs.SubmitJobRequest`` of the storage protocol (``POST /jobs/{id}/submit``)."""

    name: str | None = Field(default=None, max_length=256)
    description: str | None = Field(default=None, max_length=1024)
    device_id: str = Field(max_length=64)
    job_type: JobType
    transpiler_info: dict[str, Any] | None = None
    simulator_info: dict[str, Any] | None = None
    mitigation_info: dict[str, Any] | None = None
    shots: int = Field(ge=1, le=MAX_SHOTS)


class OperatorItem(BaseModel):
    """One Pauli term ``{"pauli": "X0 Z2", "coeff": 1.5}``."""

    pauli: str
    coeff: float | None = None


class LegacyJobInfo(BaseModel):
    """Inline ``job_info`` of the legacy protocol."""

    program: list[str]
    operator: list[OperatorItem] | None = None


class LegacySubmitJobRequest(SubmitJobRequest):
    """Legacy ``POST /jobs`` body: the submit fields plus an inline ``job_info``."""

    job_info: LegacyJobInfo
