"""The demo rounds load through the services and leave an intact audit chain."""

from __future__ import annotations

import importlib

from sqlalchemy import select

from pb_app.audit.services import verify_chain
from pb_app.demo import DEMO_LOADERS
from pb_app.extensions import db
from pb_app.proposals.models import Proposal
from pb_app.rounds.models import Round


def test_demo_rounds():
    loaders = DEMO_LOADERS[:DEMO_LOADERS.index("pb_app.rounds.demo") + 1]
    lines: list[str] = []
    for name in loaders:  # the rounds loader and those it builds on, not the later ones
        importlib.import_module(name).load_demo(lines.append)
    assert "Round: Eildon Community Fund 2026 (Eildon), voting open" in lines
    # Read every round back from the database: SQLite returns its datetimes without a zone,
    # and a round still held in memory (or not, after garbage collection) would keep its own.
    db.session.expire_all()
    rounds = {r.title: r for r in db.session.scalars(select(Round))}
    assert {title: (r.locality.name, r.phase) for title, r in rounds.items()} == {
        "Eildon Community Fund 2026": ("Eildon", "voting"),
        "Eildon Small Grants 2027": ("Eildon", "proposals-open"),
        "Tweeddale Wellbeing Fund": ("Tweeddale", "proposals-open"),
        "Cheviot Community Chest 2025": ("Cheviot", "closed")}
    eildon = db.session.scalars(select(Proposal).where(
        Proposal.round_id == rounds["Eildon Community Fund 2026"].id)).all()
    assert len(eildon) == 12
    assert {p.status for p in eildon} == {"accepted"}
    assert sum(p.cost_pence for p in eildon) == 6_335_000
    cheviot, eildon_fund = (rounds["Cheviot Community Chest 2025"],
                            rounds["Eildon Community Fund 2026"])
    assert cheviot.voting_close_at < eildon_fund.proposals_open_at
    assert verify_chain().is_intact
