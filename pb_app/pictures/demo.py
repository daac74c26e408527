"""Demo photos: two projects on the Eildon ballot get a picture, drawn here with Pillow (the
repository holds no image files), as their proposers would have added them before voting."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image, ImageDraw
from sqlalchemy import select

from pb_app.accounts.models import User
from pb_app.extensions import db
from pb_app.pictures.services import store_photo
from pb_app.proposals.models import Proposal, Status

SKY, GRASS, WALL, FLOOR = (173, 216, 230), (96, 160, 72), (240, 228, 200), (150, 110, 70)


def lunch_club() -> bytes:
    """A long table laid with plates and cups in a hall, as a JPEG."""
    picture = Image.new("RGB", (1200, 800), WALL)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 560, 1200, 800), fill=FLOOR)
    draw.rectangle((120, 430, 1080, 470), fill=(120, 80, 50))  # the table top
    for x in (160, 1020):
        draw.rectangle((x, 470, x + 20, 640), fill=(90, 60, 40))
    for x in range(180, 1000, 140):
        draw.ellipse((x, 395, x + 80, 425), fill=(255, 255, 255), outline=(60, 60, 60))
        draw.rectangle((x + 95, 380, x + 115, 420), fill=(200, 60, 60))  # a cup
    for x in range(150, 1100, 200):  # windows
        draw.rectangle((x, 90, x + 110, 260), fill=SKY, outline=(255, 255, 255), width=8)
    return _jpeg(picture)


def community_fridge() -> bytes:
    """A tall fridge with its door open on shelves of food, in a market square, as a JPEG."""
    picture = Image.new("RGB", (1200, 800), SKY)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 600, 1200, 800), fill=(170, 170, 160))
    draw.rectangle((470, 150, 730, 640), fill=(245, 245, 245), outline=(80, 80, 80), width=6)
    draw.polygon([(730, 150), (880, 200), (880, 600), (730, 640)], fill=(225, 225, 225),
                 outline=(80, 80, 80))
    colours = [(230, 120, 30), (60, 150, 60), (200, 40, 40), (240, 210, 60)]
    for shelf, y in enumerate(range(230, 600, 90)):
        draw.line((480, y + 50, 720, y + 50), fill=(150, 150, 150), width=4)
        for n, x in enumerate(range(495, 700, 55)):
            draw.ellipse((x, y, x + 40, y + 45), fill=colours[(n + shelf) % len(colours)])
    return _jpeg(picture)


PHOTOS = {
    "Galashiels lunch club": (lunch_club, "lunch-club.jpg", "A drawing of a long table in a hall,"
                              " laid with white plates and red cups, under tall windows"),
    "Selkirk community fridge": (community_fridge, "fridge.jpg", "A drawing of a tall fridge"
                                 " in a market square, its door open on shelves of fruit and"
                                 " vegetables"),
}


def _jpeg(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90)
    return out.getvalue()


def load_demo(echo: Callable[[str], None]) -> None:
    """Add a drawn photo to each of the ``PHOTOS`` proposals, as its proposer."""
    for title, (draw, filename, alt_text) in PHOTOS.items():
        proposal = db.session.scalars(select(Proposal).where(
            Proposal.title == title, Proposal.status == Status.ACCEPTED.value)
            .order_by(Proposal.id)).first()
        proposer = db.session.get(User, proposal.proposer_id)
        store_photo(proposal, proposer, draw(), filename, alt_text)
        echo(f"Photo: {title} (/proposals/{proposal.id})")
