"""Run one tally (ours or pabutools') in a fresh child process: time, peak memory, timeout.

Each run gets its own interpreter (``spawn``), so one run's memory never counts in another's
and a run that takes too long can be stopped. Peak memory is the child's own high-water mark
(``ru_maxrss``; read from ``/proc`` when a run is stopped), imports included.
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.tally.real_elections import ORACLE_SPECS, load, pabutools_input, pabutools_winners


@dataclass(frozen=True)
class Run:
    """One measured run: ``status`` is ok, timeout or error; seconds exclude reading the file."""

    status: str
    winners: frozenset[str] = frozenset()
    seconds: float = 0.0
    read_seconds: float = 0.0
    peak_mb: float = 0.0
    detail: str = ""


def run_ours(path: str, variant: str) -> dict[str, Any]:
    """Our tally on a file: read it, then count it (the child's work)."""
    from pb_app.tally.engine import run_tally

    started = time.perf_counter()
    election, _ = load(Path(path))
    read = time.perf_counter() - started
    result = run_tally(election, ORACLE_SPECS[variant])
    return {"winners": frozenset(result.selected), "read": read,
            "seconds": time.perf_counter() - started - read}


def run_pabutools(path: str, variant: str) -> dict[str, Any]:
    """pabutools on a file: parse it with its own reader, then count it (the child's work)."""
    started = time.perf_counter()
    election, _ = load(Path(path))
    instance, profile = pabutools_input(Path(path), election)
    read = time.perf_counter() - started
    winners = pabutools_winners(instance, profile, variant)
    return {"winners": frozenset(winners), "read": read,
            "seconds": time.perf_counter() - started - read}


def _child(work: str, path: str, variant: str, pipe: Any) -> None:
    try:
        outcome = {"run_ours": run_ours, "run_pabutools": run_pabutools}[work](path, variant)
        outcome["peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        pipe.send(("ok", outcome))
    except Exception as error:  # a failed run is reported, not raised, by the parent
        pipe.send(("error", f"{type(error).__name__}: {error}"))


def measure(work: str, path: Path, variant: str, timeout: float) -> Run:
    """Run ``run_ours`` or ``run_pabutools`` in a child; stop it after ``timeout`` seconds."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(work, str(path), variant, sender))
    started = time.perf_counter()
    child.start()
    sender.close()
    if not receiver.poll(timeout):
        peak = _peak_kb(child.pid)
        child.kill()
        child.join()
        return Run("timeout", seconds=time.perf_counter() - started, peak_mb=peak / 1024,
                   detail=f"did not finish in {timeout:.0f} s")
    try:
        status, payload = receiver.recv()
    except EOFError:
        status, payload = "error", f"the child died (exit code {child.exitcode})"
    child.join()
    if status == "error":
        return Run("error", detail=payload)
    return Run("ok", payload["winners"], payload["seconds"], payload["read"],
               payload["peak_kb"] / 1024)


def _peak_kb(pid: int | None) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return float(line.split()[1])
