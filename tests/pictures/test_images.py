"""Cleaning uploads: only JPEG and PNG, size and pixel limits, and nothing kept but pixels."""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image

from pb_app.errors import InvalidInput
from pb_app.pictures.images import (
    LARGEST_SIDE,
    MAX_UPLOAD_BYTES,
    THUMBNAIL_SIDE,
    PhotoTooLarge,
    clean_photo,
)
from pictures import images


def _assert_bare(data: bytes, image_format: str) -> Image.Image:
    """The file holds the picture and nothing else: no EXIF, GPS, text, comment or trailer."""
    assert images.SECRET not in data and images.CAMERA.encode() not in data
    assert b"secret comment" not in data and b"High Street" not in data
    ending = b"\xff\xd9" if image_format == "JPEG" else b"IEND\xaeB`\x82"
    assert data.endswith(ending)  # nothing after the image's own end
    picture = Image.open(io.BytesIO(data))
    assert picture.format == image_format
    assert dict(picture.getexif()) == {}
    assert picture.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert not {"exif", "comment", "icc_profile", "Comment", "Author"} & set(picture.info)
    return picture


def test_a_jpeg_loses_its_exif_gps_comment_and_trailing_bytes():
    clean = clean_photo(images.jpeg_with_gps(), "garden.JPG")
    full = _assert_bare(clean.full.data, "JPEG")
    _assert_bare(clean.thumbnail.data, "JPEG")
    assert (clean.full.content_type, clean.full.extension) == ("image/jpeg", "jpg")
    assert full.size == (640, 480) == (clean.full.width, clean.full.height)
    assert (clean.thumbnail.width, clean.thumbnail.height) == (THUMBNAIL_SIDE, 240)


def test_a_png_loses_its_text_chunks_and_trailing_bytes_and_keeps_transparency():
    clean = clean_photo(images.png_with_text(), "hall.png")
    full = _assert_bare(clean.full.data, "PNG")
    assert full.mode == "RGBA" and clean.full.content_type == "image/png"
    assert full.size == (300, 200)


def test_a_photo_is_turned_upright_before_its_exif_goes():
    clean = clean_photo(images.jpeg_with_gps(size=(640, 480), orientation=6), "sideways.jpeg")
    assert (clean.full.width, clean.full.height) == (480, 640)


def test_a_large_photo_is_made_page_sized():
    clean = clean_photo(images.plain("JPEG", size=(4000, 3000)), "big.jpg")
    assert (clean.full.width, clean.full.height) == (LARGEST_SIDE, 1200)


@pytest.mark.parametrize(("data", "name", "message"), [
    (images.plain("PNG"), "photo.jpg", "ends in .jpg but it is a PNG image"),
    (images.plain("JPEG"), "photo.png", "ends in .png but it is a JPEG image"),
    (images.plain("GIF"), "photo.gif", "must be a JPEG or PNG photo"),
    (images.plain("GIF"), "photo.png", "is not a JPEG or PNG photo"),
    (images.svg(), "photo.svg", "must be a JPEG or PNG photo"),
    (images.svg(), "photo.png", "is not a JPEG or PNG photo"),
    (images.plain("JPEG"), "photo", "must be a JPEG or PNG photo"),
    (b"", "photo.jpg", "is empty"),
    (images.plain("JPEG")[:200], "cut-short.jpg", "could not be read"),
    (images.pixel_bomb(8000), "bomb.png", "8000 by 8000 pixels: it must have at most 40 million"),
    (images.pixel_bomb(15000), "bomb.png", "is not a JPEG or PNG photo"),
], ids=["png-named-jpg", "jpeg-named-png", "gif", "gif-named-png", "svg", "svg-named-png",
        "no-extension", "empty", "truncated", "pixel-bomb", "pixel-bomb-past-pillow-limit"])
def test_refused_files(data, name, message):
    with pytest.raises(InvalidInput, match=message):
        clean_photo(data, name)


def test_a_file_over_the_limit_is_refused_before_decoding():
    data = images.noisy_png()
    assert len(data) > MAX_UPLOAD_BYTES
    with pytest.raises(PhotoTooLarge, match=r"must be 5 MB or smaller") as refused:
        clean_photo(data, "noise.png")
    assert refused.value.status == 413
    # Past the limit, the bytes are not even looked at: garbage gets the same answer.
    with pytest.raises(PhotoTooLarge):
        clean_photo(b"x" * (MAX_UPLOAD_BYTES + 1), "noise.png")
