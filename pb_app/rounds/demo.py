"""Demo rounds: Eildon voting on a dozen proposals and taking ideas for its next round,
Tweeddale taking proposals, Cheviot closed (the results demo counts it).

Everything goes through the services, so the demo also fills the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from pb_app.accounts.models import GROUP_LEAD, RoleGrant, User
from pb_app.extensions import db
from pb_app.localities.models import Locality
from pb_app.proposals.services import ProposalInput, review_proposal, save_proposal, submit_proposal
from pb_app.rounds.models import IJB_PRIORITIES, Phase, Round, utcnow
from pb_app.rounds.services import RoundSettings, create_round, move_round

PREVENTION, POVERTY, SEAMLESS, ENGAGING = IJB_PRIORITIES

# (title, summary, where, postcode, outcomes, priority, cost lines in pounds)
EILDON_PROPOSALS = [
    ("Galashiels lunch club", "A weekly hot two-course lunch and company for older people.",
     "Galashiels Volunteer Hall", "TD1 1BT", (1, 4), ENGAGING,
     [("Food for 50 weeks", "4200"), ("Hall hire", "1500"), ("Volunteer expenses", "600")]),
    ("Ettrick and Yarrow community transport", "A booked minibus to appointments and shops.",
     "Ettrick and Yarrow valleys", "TD7 5HU", (2, 5), POVERTY,
     [("Minibus lease", "7800"), ("Fuel", "2600"), ("Driver training", "900")]),
    ("Carers' respite afternoons", "Monthly sitting service so unpaid carers get a break.",
     "Selkirk", "TD7 4AB", (6,), PREVENTION,
     [("Trained sitters", "5400"), ("Activities", "800")]),
    ("Melrose walking group", "Led health walks for all abilities, twice a week.",
     "Melrose", "TD6 9PN", (1, 7), PREVENTION,
     [("Walk leader training", "1200"), ("First aid kits", "300"), ("Leaflets", "250")]),
    ("Digital inclusion drop-in", "Help with tablets, video calls and online services.",
     "Galashiels Library", "TD1 3HW", (4, 5), SEAMLESS,
     [("Ten tablets", "2500"), ("Mobile data", "900"), ("Tutor sessions", "2400")]),
    ("Earlston men's shed", "A workshop where men meet, make and mend.",
     "Earlston", "TD4 6DJ", (1, 4), ENGAGING,
     [("Tools", "3100"), ("Unit rent", "3600"), ("Insurance", "700")]),
    ("Lauder dementia cafe", "A monthly cafe for people living with dementia and carers.",
     "Lauder", "TD2 6RB", (3, 6), SEAMLESS,
     [("Venue and refreshments", "1800"), ("Dementia friends training", "600")]),
    ("Befriending phone line", "Weekly calls from volunteers to people living alone.",
     "Across Eildon", "TD1 2NU", (1, 7), ENGAGING,
     [("Phone system", "1200"), ("Volunteer coordinator hours", "4800")]),
    ("Young people's peer support", "Trained young people supporting each other's mental health.",
     "Galashiels Academy", "TD1 2HU", (1, 5), PREVENTION,
     [("Peer mentor training", "3000"), ("Sessions", "2600")]),
    ("Selkirk community fridge", "Sharing surplus food to cut waste and food poverty.",
     "Selkirk Market Place", "TD7 4BT", (5, 9), POVERTY,
     [("Fridges", "1800"), ("Electricity", "700"), ("Hygiene training", "350")]),
    ("Chair-based exercise in Stow", "Gentle weekly exercise classes for older residents.",
     "Stow Town Hall", "TD1 2SD", (1, 2), PREVENTION,
     [("Instructor", "2600"), ("Equipment", "450")]),
    ("Falls prevention home checks", "Volunteers check homes for trip hazards and fit grab rails.",
     "Eildon-wide", "TD6 0AA", (2, 7), SEAMLESS,
     [("Grab rails and fittings", "3800"), ("Volunteer training", "900")]),
]

TWEEDDALE_PROPOSALS = [
    ("Peebles community garden", "Raised beds and a polytunnel for everyone to grow food.",
     "Peebles", "EH45 8AB", (1, 4), ENGAGING, [("Polytunnel", "2900"), ("Beds and soil", "1300")]),
    ("West Linton warm space", "A heated, welcoming space with soup on winter afternoons.",
     "West Linton", "EH46 7EA", (5, 9), POVERTY, [("Heating", "1600"), ("Food", "1900")]),
]


EILDON_NEXT_PROPOSALS = [
    ("Tweedbank repair cafe", "Volunteers fix clothes, bikes and lamps over a cup of tea.",
     "Tweedbank Community Centre", "TD1 3RS", (1, 4), ENGAGING,
     [("Tools and parts", "1400"), ("Room hire", "900")]),
]


def _lead(locality: Locality) -> User:
    return db.session.scalars(select(User).join(RoleGrant).where(
        RoleGrant.role == GROUP_LEAD, RoleGrant.locality_id == locality.id)).first()


def _residents(locality: Locality, lead: User) -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.locality_id == locality.id, User.id != lead.id).order_by(User.id).limit(20)))


def _round(locality: Locality, lead: User, title: str, budget_pounds: int, start_days: int,
           **settings) -> Round:
    start = utcnow().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(start_days)
    return create_round(locality, lead, RoundSettings(
        title=title, description=f"Residents of {locality.name} decide how to spend"
        f" £{budget_pounds:,} on projects for health and wellbeing.",
        budget_pence=budget_pounds * 100, min_project_cost_pence=50_000,
        max_project_cost_pence=1_500_000, priorities=IJB_PRIORITIES,
        proposals_open_at=start, proposals_close_at=start + timedelta(30),
        voting_open_at=start + timedelta(45), voting_close_at=start + timedelta(66),
        ballot_params={"max_choices": 4}, **settings))


def _propose(round_: Round, residents: list[User], rows: list, lead: User | None) -> None:
    for number, (title, summary, where, postcode, outcomes, priority, lines) in enumerate(rows):
        proposer = residents[number % len(residents)]
        proposal = save_proposal(round_, proposer, ProposalInput(
            title=title, summary=summary, location=where, location_postcode=postcode,
            description=f"{summary} Run by local volunteers in {where}.", outcomes=outcomes,
            priorities=(priority,), cost_lines=tuple(lines)))
        submit_proposal(proposal, proposer)
        if lead is not None:
            review_proposal(proposal, lead, "accept", "feasible", "strong",
                            "Costs are realistic and it serves the round's priorities.")


def _run_to(round_: Round, lead: User, last: Phase) -> None:
    for phase in list(Phase)[list(Phase).index(round_.current_phase) + 1:]:
        move_round(round_, lead, phase)
        if phase is last:
            return


def load_demo(echo: Callable[[str], None]) -> None:
    """Create the three demo rounds with their proposals."""
    localities = {loc.slug: loc for loc in db.session.scalars(select(Locality))}
    for slug, title, budget, start, rows, last in (
        ("eildon", "Eildon Community Fund 2026", 60_000, -47, EILDON_PROPOSALS, Phase.VOTING),
        ("eildon", "Eildon Small Grants 2027", 15_000, -3, EILDON_NEXT_PROPOSALS, None),
        ("tweeddale", "Tweeddale Wellbeing Fund", 25_000, -5, TWEEDDALE_PROPOSALS, None),
        ("cheviot", "Cheviot Community Chest 2025", 20_000, -400, EILDON_PROPOSALS[:3],
         Phase.CLOSED),
    ):
        locality = localities[slug]
        lead = _lead(locality)
        round_ = _round(locality, lead, title, budget, start,
                        tally_rule="mes" if slug == "eildon" else "greedy",
                        tally_params={"completion": "add1", "comparison": "satisfaction"})
        move_round(round_, lead, Phase.PROPOSALS_OPEN)
        _propose(round_, _residents(locality, lead), _located(rows, slug), last and lead)
        if last:
            _run_to(round_, lead, last)
        echo(f"Round: {round_.title} ({locality.name}), {round_.current_phase.label.lower()}")


CHEVIOT_POSTCODES = ["TD5 7AB", "TD5 8AB", "TD8 6AB"]


def _located(rows: list, slug: str) -> list:
    """Cheviot reuses three Eildon ideas, placed in Kelso and Jedburgh."""
    if slug != "cheviot":
        return rows
    return [(title.replace("Galashiels", "Kelso").replace("Ettrick and Yarrow", "Cheviot"),
             summary, "Kelso", CHEVIOT_POSTCODES[n], outcomes, priority, lines)
            for n, (title, summary, _, _, outcomes, priority, lines) in enumerate(rows)]
