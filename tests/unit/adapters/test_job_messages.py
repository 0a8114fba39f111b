"""The SAQ adapter's reading of jobs: this service's own as typed messages, anything else kept as it came."""

from __future__ import annotations

import pytest

from event_service.adapters.redis import job_key, job_message, saq_call
from event_service.application.jobs import ForeignJob, ProcessBatchJob, ReprocessDayJob, ReprocessYesterdayJob


@pytest.mark.parametrize(
    ("job", "function", "kwargs", "key"),
    [
        (ProcessBatchJob("b1"), "process_batch", {"batch_id": "b1"}, "process_batch:b1"),
        (ReprocessDayJob("2025-11-13"), "reprocess_day", {"date": "2025-11-13"}, "reprocess_day:2025-11-13"),
        (ReprocessYesterdayJob(), "reprocess_yesterday", {}, "cron:reprocess_yesterday"),
        (
            ReprocessYesterdayJob("2025-11-13"),
            "reprocess_yesterday",
            {"date": "2025-11-13"},
            "cron:reprocess_yesterday",
        ),
        (ForeignJob("cleanup", {"b": 2, "a": 1}), "cleanup", {"b": 2, "a": 1}, 'cleanup:{"a":1,"b":2}'),
    ],
)
def test_each_message_maps_to_its_saq_call_and_back(job: object, function: str, kwargs: dict, key: str) -> None:
    assert saq_call(job) == (function, kwargs)  # type: ignore[arg-type]
    assert job_message(function, kwargs) == job
    assert job_key(job) == key  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("function", "kwargs"),
    [
        ("process_batch", {}),
        ("process_batch", {"batch_id": 7}),
        ("process_batch", {"batch_id": "b1", "extra": True}),
        ("reprocess_day", {"day": "2025-11-13"}),
        ("reprocess_yesterday", {"date": 20251113}),
        ("no_such_function", {"batch_id": "b1"}),
    ],
)
def test_a_job_that_is_not_this_services_own_is_kept_as_it_came(function: str, kwargs: dict) -> None:
    message = job_message(function, kwargs)
    assert message == ForeignJob(function, kwargs)
    assert saq_call(message) == (function, kwargs)


def test_the_cron_function_is_registered_under_the_name_its_message_maps_to() -> None:
    """SAQ names a cron job after its function's __qualname__ (its key is ``cron:<qualname>``): renaming the function
    alone would leave dead letters and job keys pointing at a name no worker runs."""
    from event_service.entrypoints.jobs import reprocess_yesterday

    assert saq_call(ReprocessYesterdayJob()) == (reprocess_yesterday.__qualname__, {})
    assert job_key(ReprocessYesterdayJob()) == f"cron:{reprocess_yesterday.__qualname__}"
