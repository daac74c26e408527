"""The child-process limit around the reference implementation: a runaway run is stopped."""

from __future__ import annotations

import time

import pytest

from tests.tally.real_elections import OutOfTime, in_child


def test_the_value_comes_back_from_the_child():
    assert in_child(lambda: {"a", "b"}, seconds=30) == {"a", "b"}


def test_a_run_past_its_time_is_killed_at_once():
    started = time.monotonic()
    with pytest.raises(OutOfTime, match="did not finish in 0.5 s"):
        in_child(lambda: time.sleep(60), seconds=0.5)
    assert time.monotonic() - started < 10


def test_a_run_past_its_memory_is_stopped():
    with pytest.raises(OutOfTime, match="needed more than 64 MB"):
        in_child(lambda: bytearray(2**30), seconds=30, memory_mb=64)


def test_an_error_in_the_child_is_raised_with_its_message():
    with pytest.raises(RuntimeError, match="ZeroDivisionError: integer division or modulo by zero"):
        in_child(lambda: 1 // 0, seconds=30)
