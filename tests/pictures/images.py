"""Real image files made with Pillow, for the photo tests: with hidden data, or hostile."""

from __future__ import annotations

import io
import os

from PIL import ExifTags, Image
from PIL.PngImagePlugin import PngInfo

SECRET = b"HIDDEN-AFTER-THE-IMAGE"
CAMERA = "Secret Camera Co"


def jpeg_with_gps(size=(640, 480), orientation: int = 1) -> bytes:
    """A JPEG whose EXIF names the camera and where it was taken, with bytes after its end."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (55.0, 36.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 48.0, 30.0)
    out = io.BytesIO()
    _picture(size).save(out, "JPEG", exif=exif, comment=b"secret comment")
    return out.getvalue() + SECRET


def png_with_text(size=(300, 200), mode: str = "RGBA") -> bytes:
    """A PNG with text chunks and EXIF, and bytes after its end."""
    info = PngInfo()
    info.add_text("Comment", "secret comment")
    info.add_text("Author", "Rab Resident, 12 High Street")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    out = io.BytesIO()
    _picture(size).convert(mode).save(out, "PNG", pnginfo=info, exif=exif)
    return out.getvalue() + SECRET


def plain(image_format: str = "JPEG", size=(400, 300)) -> bytes:
    """A plain image in ``image_format`` (JPEG, PNG, GIF...)."""
    out = io.BytesIO()
    picture = _picture(size)
    (picture.convert("P") if image_format == "GIF" else picture).save(out, image_format)
    return out.getvalue()


def svg() -> bytes:
    """An SVG with a script in it."""
    return (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>")


def noisy_png(side: int = 1400) -> bytes:
    """A PNG of random noise: it cannot be compressed, so it is over 5 MB at 1400 pixels."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def pixel_bomb(side: int = 8000) -> bytes:
    """A PNG a few kilobytes long that would decode to ``side`` squared pixels."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG", optimize=True)
    return out.getvalue()


def _picture(size) -> Image.Image:
    """Something to look at: a blue sky over green grass, with a red sun."""
    width, height = size
    picture = Image.new("RGB", size, (90, 150, 220))
    picture.paste((60, 160, 70), (0, height * 2 // 3, width, height))
    picture.paste((220, 40, 40), (width // 8, height // 8, width // 4, height // 4))
    return picture
