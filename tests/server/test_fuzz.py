"""No input produces a 500: arbitrary JSON bodies and query strings get a 2xx/4xx answer."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from local_testkit import BELL, Api, zip_of

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
FIELDS = st.sampled_from(
    [
        "device_id",
        "job_type",
        "shots",
        "name",
        "description",
        "transpiler_info",
        "simulator_info",
        "mitigation_info",
        "job_info",
    ]
)
BODIES = JSON | st.dictionaries(FIELDS, JSON, max_size=9)
FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(body=BODIES)
def test_submit_never_500(api: Api, body: Any) -> None:
    registered = api.register()
    api.upload(registered["presigned_url"], zip_of("input.json", b'{"program": []}'))
    response = api.post(
        f"/jobs/{registered['job_id']}/submit",
        data=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code in (200, 400, 422), response.text


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            ["fields", "start_time", "end_time", "status", "q", "page", "size", "order"]
        ),
        st.text(max_size=12),
        max_size=5,
    )
)
def test_list_jobs_never_500(api: Api, params: dict[str, str]) -> None:
    assert api.get("/jobs", params=params).status_code in (200, 400, 422)


@FUZZ
@given(
    payload=JSON,
    submit=st.dictionaries(
        st.sampled_from(["transpiler_info", "mitigation_info", "simulator_info"]),
        st.dictionaries(
            st.sampled_from(
                ["transpiler_lib", "transpiler_options", "ro_error_mitigation", "seed_simulation"]
            ),
            JSON,
            max_size=2,
        ),
        max_size=2,
    ),
)
def test_engine_survives_any_input(api: Api, payload: Any, submit: dict[str, Any]) -> None:
    job = api.wait(
        api.create(payload if isinstance(payload, dict) else {"program": payload}, **submit)
    )
    assert job["status"] in ("succeeded", "failed")
    if job["status"] == "failed":
        assert job["job_info"]["message"]


def test_engine_still_works_after_fuzzing(api: Api) -> None:
    job, result = api.run({"program": [BELL]})
    assert job["status"] == "succeeded"
