"""Fixtures for the photo tests: the round and proposal fixtures, and a photo folder of the
test's own, so no test writes into the instance folder."""

from __future__ import annotations

import pytest
from rounds.fixtures import (  # noqa: F401
    admin,
    eildon,
    finance,
    lead,
    other_lead,
    resident,
    tweeddale,
)


@pytest.fixture(autouse=True)
def photo_dir(app, tmp_path, monkeypatch):
    """The folder the disk backend keeps photos in, for this test alone."""
    folder = tmp_path / "pictures"
    monkeypatch.setitem(app.config, "PICTURES_STORAGE", "disk")
    monkeypatch.setitem(app.config, "PICTURES_DIR", str(folder))
    return folder
