"""Fixtures for the proposal tests: the same as the round tests'."""

from rounds.conftest import *  # noqa: F403
