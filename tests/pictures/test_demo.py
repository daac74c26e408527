"""The demo draws photos for two projects on the Eildon ballot and writes delivery updates for
the funded Cheviot projects."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pb_app.extensions import db
from pb_app.ledger.models import DeliveryUpdate
from pb_app.pictures.models import Photo
from pb_app.rounds.models import Round


@pytest.mark.committing
def test_demo_load_adds_photos_and_delivery_updates(app, runner, client, photo_dir):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        photos = list(db.session.scalars(select(Photo)))
        assert sorted(p.proposal.title for p in photos) == [
            "Galashiels lunch club", "Selkirk community fridge"]
        assert sorted(path.name for path in photo_dir.iterdir()) == sorted(
            name for photo in photos for name in photo.file_names)
        lunch = next(p for p in photos if p.proposal.title == "Galashiels lunch club")
        page = client.get(f"/proposals/{lunch.proposal_id}").get_data(as_text=True)
        assert f'src="/photos/{lunch.file_name}" alt="A drawing of a long table' in page
        assert client.get(f"/photos/{lunch.thumbnail_name}").mimetype == "image/jpeg"

        assert db.session.scalars(select(DeliveryUpdate)).first() is not None
        published = db.session.scalar(select(Round).where(Round.phase == "published"))
        results = client.get(f"/results/round/{published.id}").get_data(as_text=True)
        assert "What happened to the money" in results
        assert "The first lunch was served: 24 people came." in results
        db.session.remove()
