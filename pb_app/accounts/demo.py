"""Demo data: staff accounts for every role and a few hundred residents across the Borders."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import select

from pb_app.accounts import services
from pb_app.accounts.models import FINANCE_OFFICER, GROUP_LEAD, User
from pb_app.extensions import db
from pb_app.localities.models import Locality

RESIDENT_COUNT = 300
STAFF_PASSWORD = "demo-staff-password"
RESIDENT_PASSWORD = "demo-resident-password"
# The resident a newcomer signs in as: lives in Eildon (taking votes and ideas), has confirmed
# their email, and has not voted, so they can propose, vote and check a receipt.
NEWCOMER_EMAIL = "resident@example.org"

# Real postcode sectors of each locality's towns and valleys; unit letters are made up.
SECTORS = {
    "eildon": ["TD1 1", "TD1 2", "TD1 3", "TD7 4", "TD7 5", "TD6 9", "TD6 0", "TD4 6", "TD2 6"],
    "cheviot": ["TD5 7", "TD5 8", "TD8 6"],
    "teviot-and-liddesdale": ["TD9 0", "TD9 7", "TD9 8", "TD9 9"],
    "berwickshire": ["TD11 3", "TD14 5", "TD12 4", "TD10 6", "TD13 5", "TD3 6"],
    "tweeddale": ["EH45 8", "EH45 9", "EH44 6", "EH43 6", "EH46 7"],
}
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
FIRST_NAMES = ["Morag", "Iain", "Fiona", "Callum", "Isla", "Euan", "Eilidh", "Ruaridh", "Kirsty",
               "Hamish", "Ailsa", "Fraser", "Catriona", "Alasdair", "Mhairi", "Duncan", "Jean",
               "Robert", "Margaret", "James", "Agnes", "Craig", "Shona", "Gregor", "Aisha",
               "Tomasz"]
LAST_NAMES = ["Scott", "Elliot", "Armstrong", "Kerr", "Turnbull", "Douglas", "Hume", "Rutherford",
              "Laidlaw", "Pringle", "Anderson", "Brown", "Wilson", "Young", "Murray", "Hogg",
              "Renwick", "Davidson", "Nichol", "Shiel", "Ahmed", "Nowak"]


def load_demo(echo: Callable[[str], None]) -> None:
    """Create the administrator, a finance officer, a group lead per locality and residents."""
    localities = list(db.session.scalars(select(Locality).order_by(Locality.name)))
    today = services.today()
    admin = _user("admin@example.org", "Alex Administrator", STAFF_PASSWORD)
    services.make_first_administrator(admin)
    finance = _user("finance@example.org", "Frances Finance", STAFF_PASSWORD)
    services.grant_role(admin, finance, FINANCE_OFFICER)
    echo(f"Administrator: {admin.email} / {STAFF_PASSWORD}")
    echo(f"Finance officer: {finance.email} / {STAFF_PASSWORD}")
    rng = random.Random(2026)
    for locality in localities:
        lead = _user(f"lead.{locality.slug}@example.org", f"{locality.name} Group Lead",
                     STAFF_PASSWORD)
        _place(lead, rng, locality, today)
        services.grant_role(admin, lead, GROUP_LEAD, locality)
        echo(f"Group lead of {locality.name}: {lead.email} / {STAFF_PASSWORD}")
    newcomer = _newcomer(localities, rng, today)
    residents = _residents(localities, rng, today)
    echo(f"Resident of {newcomer.locality.name}, to propose, vote and check a receipt: "
         f"{newcomer.email} / {RESIDENT_PASSWORD} "
         f"(and {len(residents)} more residents, same password)")


def _user(email: str, full_name: str, password: str, password_hash: str | None = None) -> User:
    """A demo account, its address confirmed as its registration link would have."""
    user = User(email=email, full_name=full_name, email_confirmed_at=services.utcnow(),
                password_hash=password_hash or services.hash_password(password))
    db.session.add(user)
    return user


def _place(user: User, rng: random.Random, locality: Locality, today: date) -> None:
    """Give the user a postcode in ``locality`` and an adult's date of birth."""
    sector = rng.choice(SECTORS[locality.slug])
    postcode = f"{sector}{rng.choice(UNIT_LETTERS)}{rng.choice(UNIT_LETTERS)}"
    born = today - timedelta(days=rng.randint(16 * 365 + 4, 90 * 365))
    services.update_profile(user, postcode, born, today)


def _newcomer(localities: list[Locality], rng: random.Random, today: date) -> User:
    """The resident whose sign-in ``make run`` prints: in Eildon, email confirmed."""
    newcomer = _user(NEWCOMER_EMAIL, "Rhona Pringle", RESIDENT_PASSWORD)
    _place(newcomer, rng, next(loc for loc in localities if loc.slug == "eildon"), today)
    return newcomer


def _residents(localities: list[Locality], rng: random.Random, today: date) -> list[User]:
    """Residents spread over the localities in proportion to their populations."""
    # One hash for all: hashing hundreds of passwords properly would take minutes.
    shared_hash = services.hash_password(RESIDENT_PASSWORD)
    weights = [locality.population for locality in localities]
    residents = []
    for number in range(1, RESIDENT_COUNT + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}.{number}@example.org".lower()
        resident = _user(email, f"{first} {last}", RESIDENT_PASSWORD, shared_hash)
        _place(resident, rng, rng.choices(localities, weights)[0], today)
        residents.append(resident)
    return residents
