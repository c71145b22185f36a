"""The error hierarchy: status mapping, server messages, pickling, documented compatibility."""

from __future__ import annotations

import inspect
import pickle

import pytest
from quri_parts.backend import BackendError as QuriPartsBackendError

from oqtopus_bridge import errors


def _all_error_classes() -> list[type[BaseException]]:
    return [
        obj
        for obj in vars(errors).values()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == errors.__name__
    ]


def test_every_error_is_a_quri_parts_backend_error() -> None:
    for cls in _all_error_classes():
        assert issubclass(cls, QuriPartsBackendError), cls


def test_documented_value_errors_are_value_errors() -> None:
    assert issubclass(errors.ConfigError, ValueError)
    assert issubclass(errors.ConversionError, ValueError)
    assert issubclass(errors.JobTimeoutError, TimeoutError)


def test_all_is_sorted_and_complete() -> None:
    assert errors.__all__ == sorted(errors.__all__)
    assert set(errors.__all__) == {cls.__name__ for cls in _all_error_classes()}


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (403, errors.AuthenticationError),
        (404, errors.NotFoundError),
        (409, errors.BadRequestError),
        (422, errors.BadRequestError),
        (418, errors.APIError),
        (500, errors.ServerError),
        (503, errors.ServerError),
    ],
)
def test_from_response_picks_the_class_by_status(status: int, cls: type[errors.APIError]) -> None:
    error = errors.APIError.from_response(status, {"message": "nope"})
    assert type(error) is cls
    assert error.status_code == status
    assert error.message == "nope"


def test_from_response_reads_message_detail_error_and_validation_lists() -> None:
    assert (
        errors.APIError.from_response(404, '{"message": "job not found"}').message
        == "job not found"
    )
    assert errors.APIError.from_response(401, {"detail": "Unauthorized"}).message == "Unauthorized"
    assert errors.APIError.from_response(400, {"error": {"message": "bad"}}).message == "bad"
    detail = [{"loc": ["body", "shots"], "msg": "Input should be less than 10000000"}]
    assert errors.APIError.from_response(422, {"detail": detail}).message == (
        "shots: Input should be less than 10000000"
    )
    assert errors.APIError.from_response(502, b"<html>bad gateway</html>").message == (
        "<html>bad gateway</html>"
    )
    assert errors.APIError.from_response(500, {}).message == "HTTP status 500"


def test_messages_say_what_to_do_for_auth_and_server_errors() -> None:
    assert "OQTOPUS_API_TOKEN" in str(
        errors.APIError.from_response(401, {"detail": "Unauthorized"})
    )
    assert "retry later" in str(errors.APIError.from_response(503, {}))
    assert str(
        errors.APIError.from_response(404, {"message": "x"}, context="GET /jobs/1")
    ).startswith("GET /jobs/1: HTTP 404")


@pytest.mark.parametrize(
    "error",
    [
        errors.ConfigError("no url"),
        errors.ConnectError("refused"),
        errors.APIError.from_response(404, {"message": "job not found"}, context="GET /jobs/1"),
        errors.APIError(418, "teapot", body={"a": 1}),
        errors.StorageError("upload failed"),
        errors.JobError("bad", "job-1"),
        errors.JobFailedError("failed", "job-1", server_message="invalid qubit size"),
        errors.JobCancelledError("cancelled", "job-1"),
        errors.JobTimeoutError("Timeout occurred after 3 seconds.", "job-1"),
        errors.ResultError("missing"),
        errors.ConversionError("parametric"),
    ],
)
def test_every_error_pickles_with_its_attributes(error: errors.BackendError) -> None:
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is type(error)
    assert str(clone) == str(error)
    assert vars(clone) == vars(error)


@pytest.mark.parametrize(
    ("head", "tail", "joined"),
    [
        ("device_id=x is not found.", "no device 'x'", "device_id=x is not found: no device 'x'"),
        ("shots should be a positive integer.", "0", "shots should be a positive integer: 0"),
        ("HTTP 400: bad request", "why", "HTTP 400: bad request: why"),
        ("wait for it...", "still", "wait for it...: still"),  # an ellipsis stays
        ("ended. ", "", "ended."),  # nothing to add: nothing changes but the trailing space
        ("", "only the detail", "only the detail"),
    ],
)
def test_join_message_never_doubles_punctuation(head: str, tail: str, joined: str) -> None:
    assert errors.join_message(head, tail) == joined
