"""One way for views to handle a service's refusal: ``layout.attempt``, which undoes what the
refused change wrote but keeps a refusal the service recorded (an audit entry of a change to
frozen rules, a failed sign-in, a wrong voting code), and the app's error pages, which settle
the session the same way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from factories import ProposalFactory, RoundFactory
from sqlalchemy import func, select

from pb_app.audit.models import AuditEntry
from pb_app.errors import Conflict, DomainError, InvalidInput, NotFound
from pb_app.extensions import db
from pb_app.localities.models import Locality
from pb_app.proposals.models import Status
from pb_app.rounds.models import Phase
from pb_app.web.layout import attempt

VIEWS = sorted((Path(__file__).resolve().parents[2] / "pb_app").glob("*/views.py"))


class Recorded(Conflict):
    """A refusal whose record the service wrote and wants kept."""

    recorded = True


def localities() -> list[str]:
    return list(db.session.scalars(select(Locality.slug).order_by(Locality.slug)))


@pytest.mark.parametrize(("refusal", "kept"), [
    (InvalidInput("No such place"), []),  # undone
    (Recorded("Refused, and the refusal recorded"), ["written"]),  # committed, not only left
])
def test_a_refused_change_is_undone_unless_recorded_and_the_refusal_kept_for_the_page(
        refusal, kept):
    db.session.commit()
    with attempt() as adding:
        db.session.add(Locality(name="Written", slug="written", population=1))
        db.session.flush()
        raise refusal
    assert adding.refusal is refusal
    db.session.rollback()
    assert localities() == kept


def test_a_change_that_is_made_is_left_for_the_view_to_commit():
    with attempt() as adding:
        db.session.add(Locality(name="Made", slug="made", population=1))
    assert adding.refusal is None
    assert localities() == ["made"]
    db.session.rollback()
    assert localities() == []


@pytest.mark.parametrize("raised", [NotFound("Gone"), ValueError("a bug")])
def test_a_refusal_not_asked_for_goes_on_to_the_error_pages(raised):
    with pytest.raises(type(raised)), attempt(InvalidInput, Conflict):
        raise raised


def test_a_refusal_shown_as_an_error_page_keeps_its_record(client, sign_in, eildon, resident):
    """Withdrawing a project once voting has opened: the app's error page, not a form, shows
    the refusal, and the audit entry of the refused change is kept."""
    proposal = ProposalFactory(round=RoundFactory(locality=eildon, phase=Phase.VOTING),
                               proposer=resident, status=Status.ACCEPTED)
    db.session.commit()
    sign_in(resident)
    response = client.post(f"/proposals/{proposal.id}/withdraw")
    assert response.status_code == 409
    db.session.expire_all()
    assert proposal.status == Status.ACCEPTED.value
    assert list(db.session.scalars(select(AuditEntry.action))) == ["round.change_refused"]


def test_a_refusal_not_recorded_leaves_nothing_through_the_error_page(client, sign_in, eildon,
                                                                      resident):
    proposal = ProposalFactory(round=RoundFactory(locality=eildon, phase=Phase.REVIEW),
                               proposer=resident, status=Status.WITHDRAWN)
    db.session.commit()
    sign_in(resident)
    assert client.post(f"/proposals/{proposal.id}/withdraw").status_code == 409
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def _caught_domain_errors(path: Path) -> list[tuple[int, str]]:
    """(line, name) of each ``except`` in ``path`` that names a DomainError class, with the
    call its ``try`` makes first."""
    import pb_app.errors as errors
    domain = {name for name, value in vars(errors).items()
              if isinstance(value, type) and issubclass(value, DomainError)}
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Try):
            continue
        calls = [ast.unparse(call.func) for call in ast.walk(node.body[0])
                 if isinstance(call, ast.Call)]
        for handler in node.handlers:
            names = {ast.unparse(n) for n in ast.walk(handler.type)} if handler.type else set()
            if names & domain:
                found.append((handler.lineno, calls[-1] if calls else ""))
    return found


def test_views_take_refusals_only_through_attempt():
    """The one exception: a ballot form is read by ``read_choices``, which refuses a ballot
    that breaks the round's rules before any service is asked for anything."""
    caught = {f"{path.parent.name}/views.py:{line}": call
              for path in VIEWS for line, call in _caught_domain_errors(path)}
    assert caught and set(caught.values()) == {"read_choices"}, caught
