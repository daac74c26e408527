"""Test work run at the same moment, each piece in its own thread, as concurrent requests or
commands would run."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_together(*work: Callable[[], object]) -> None:
    """Run each callable in its own thread and wait for all of them; then raise the first
    error any of them raised (an assertion failing in a thread would otherwise go unseen)."""
    errors: list[BaseException] = []

    def guarded(job: Callable[[], object]) -> None:
        try:
            job()
        except BaseException as error:  # raised again in the test's own thread below
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
