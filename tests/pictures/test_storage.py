"""The two storage backends behind one interface: a folder, and an S3 bucket (a moto fake of
S3 stands in for the store, the edge of the world; everything in front of it is real)."""

from __future__ import annotations

import io

import pytest
from factories import ProposalFactory
from moto import mock_aws
from rounds.fixtures import live_round
from sqlalchemy import select

from pb_app.extensions import db
from pb_app.pictures.models import Photo
from pb_app.pictures.storage import (
    S3_CLIENTS_KEY,
    DiskStorage,
    S3Storage,
    StorageUnavailable,
    check_name,
    photo_storage,
)
from pb_app.proposals.models import Status
from pb_app.rounds.models import Phase
from pictures import images

BUCKET = "pb-photos"
NAME = "AbCdEfGhIjKlMnOpQrStUvWx.jpg"


@pytest.fixture
def s3(app, monkeypatch):
    """An S3 store faked by moto, with the app configured to keep photos in its bucket."""
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "eu-west-2")):
        monkeypatch.setenv(name, value)
    monkeypatch.setitem(app.config, "PICTURES_STORAGE", "s3")
    monkeypatch.setitem(app.config, "PICTURES_S3_BUCKET", BUCKET)
    monkeypatch.setitem(app.config, "PICTURES_S3_PREFIX", "photos/")
    app.extensions.pop(S3_CLIENTS_KEY, None)
    with mock_aws():
        import boto3

        client = boto3.client("s3", region_name="eu-west-2")
        client.create_bucket(Bucket=BUCKET,
                             CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        yield client
    app.extensions.pop(S3_CLIENTS_KEY, None)


@pytest.mark.parametrize("name", ["../config.py", "a.jpg", "x" * 24 + ".svg",
                                  "x" * 24 + ".jpg/../../etc", "x" * 24 + ".JPG", ""])
def test_only_names_the_service_gives_are_accepted(name):
    with pytest.raises(ValueError):
        check_name(name)


def test_the_disk_backend_saves_reads_and_deletes(tmp_path):
    storage = DiskStorage(str(tmp_path / "new-folder"))
    assert storage.read(NAME) is None
    storage.save(NAME, b"bytes", "image/jpeg")
    assert storage.read(NAME) == b"bytes"
    assert [p.name for p in (tmp_path / "new-folder").iterdir()] == [NAME]  # no temporary left
    storage.delete(NAME)
    storage.delete(NAME)  # already gone: no error
    assert storage.read(NAME) is None


def test_the_disk_backend_reports_a_folder_it_cannot_write(tmp_path):
    (tmp_path / "a-file").write_text("in the way")
    with pytest.raises(StorageUnavailable) as refused:
        DiskStorage(str(tmp_path / "a-file")).save(NAME, b"bytes", "image/jpeg")
    assert refused.value.status == 503


def test_the_s3_backend_saves_reads_and_deletes_under_its_prefix(app, s3):
    storage = photo_storage()
    assert isinstance(storage, S3Storage)
    assert storage.read(NAME) is None
    storage.save(NAME, b"bytes", "image/jpeg")
    stored = s3.get_object(Bucket=BUCKET, Key=f"photos/{NAME}")
    assert (stored["Body"].read(), stored["ContentType"]) == (b"bytes", "image/jpeg")
    assert storage.read(NAME) == b"bytes"
    storage.delete(NAME)
    assert storage.read(NAME) is None


def test_the_s3_backend_reports_a_missing_bucket(app, s3, monkeypatch):
    monkeypatch.setitem(app.config, "PICTURES_S3_BUCKET", "no-such-bucket")
    with pytest.raises(StorageUnavailable):
        photo_storage().save(NAME, b"bytes", "image/jpeg")


def test_photos_go_to_and_come_from_the_bucket_through_the_pages(
        client, sign_in, s3, eildon, resident, photo_dir):
    round_ = live_round(eildon, Phase.PROPOSALS_OPEN)
    proposal = ProposalFactory(round=round_, proposer=resident, status=Status.DRAFT)
    db.session.commit()
    sign_in(resident)
    added = client.post(f"/proposals/{proposal.id}/photos",
                        data={"photo": (io.BytesIO(images.jpeg_with_gps()), "me.jpg"),
                              "alt_text": "A red sun over a green field"},
                        content_type="multipart/form-data")
    assert added.status_code == 302
    photo = db.session.scalars(select(Photo)).one()
    keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == sorted(f"photos/{name}" for name in photo.file_names)
    assert not photo_dir.exists()
    served = client.get(f"/photos/{photo.file_name}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert images.SECRET not in served.data and served.data.endswith(b"\xff\xd9")
    assert client.post(f"/photos/{photo.id}/remove").status_code == 302
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


def test_an_unknown_backend_is_a_configuration_mistake(app, monkeypatch):
    monkeypatch.setitem(app.config, "PICTURES_STORAGE", "ftp")
    with pytest.raises(RuntimeError, match="must be 'disk' or 's3'"):
        photo_storage()


def test_the_s3_backend_reports_a_store_it_cannot_read(app, s3, monkeypatch):
    monkeypatch.setitem(app.config, "PICTURES_S3_BUCKET", "no-such-bucket")
    with pytest.raises(StorageUnavailable, match="cannot be shown just now"):
        photo_storage().read(NAME)
