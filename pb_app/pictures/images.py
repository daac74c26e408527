"""Cleaning an uploaded photo: JPEG or PNG only, size and pixel limits, then re-encoded.

Re-encoding from the decoded pixels keeps nothing but the picture: no EXIF (so no GPS
position or camera serial), no comments or text chunks, no colour profile, and nothing
hidden after the image's end. The photo is turned the way its camera said it was held before
that information goes, and made no larger than a page shows it.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from pb_app.errors import InvalidInput

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel camera; anything larger is refused before decoding
LARGEST_SIDE = 1600  # pixels: what a page shows at most
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}
EXTENSIONS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG"}
CHOOSE_ANOTHER = "Choose a photo saved as a JPEG (.jpg) or PNG (.png) file"
DAMAGED = f"The photo could not be read: the file may be damaged. {CHOOSE_ANOTHER}"


class PhotoTooLarge(InvalidInput):
    """The upload is larger than ``MAX_UPLOAD_BYTES``."""

    status = 413


@dataclass(frozen=True)
class CleanImage:
    """One re-encoded image: its bytes, type, file extension and size in pixels."""

    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


@dataclass(frozen=True)
class CleanPhoto:
    """A cleaned photo at page size and as a thumbnail."""

    full: CleanImage
    thumbnail: CleanImage


def size_text(byte_count: int) -> str:
    """A file size as people read it: ``5242880`` -> ``5 MB``, ``6815744`` -> ``6.5 MB``."""
    megabytes = byte_count / (1024 * 1024)
    return f"{megabytes:.1f}".removesuffix(".0") + " MB"


def check_upload_size(byte_count: int) -> None:
    """Raise PhotoTooLarge (413) if ``byte_count`` is over the limit; nothing is decoded."""
    if byte_count > MAX_UPLOAD_BYTES:
        raise PhotoTooLarge(f"The photo is {size_text(byte_count)}: it must be"
                            f" {size_text(MAX_UPLOAD_BYTES)} or smaller. Make it smaller"
                            " or choose another photo.")


def clean_photo(data: bytes, filename: str) -> CleanPhoto:
    """Check and re-encode an uploaded photo named ``filename`` by the person's computer.

    Raises PhotoTooLarge (over ``MAX_UPLOAD_BYTES``, checked before decoding) and
    InvalidInput: empty, not a JPEG or PNG (GIF, SVG, anything else), a name whose ending
    does not match what the file is, more than ``MAX_PIXELS`` pixels (a decompression bomb,
    refused from its header before decoding), or a file that cannot be read.
    """
    check_upload_size(len(data))
    if not data:
        raise InvalidInput("The chosen file is empty. " + CHOOSE_ANOTHER)
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in EXTENSIONS:
        raise InvalidInput(f"The file must be a JPEG or PNG photo. {CHOOSE_ANOTHER}")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _open(data)
        if image.format != EXTENSIONS[extension]:
            raise InvalidInput(f"The file's name ends in .{extension} but it is a"
                               f" {image.format} image. Save it again as a JPEG or PNG and"
                               " choose that file.")
        if image.width * image.height > MAX_PIXELS:
            raise InvalidInput(f"The photo is {image.width} by {image.height} pixels: it"
                               f" must have at most {MAX_PIXELS // 1_000_000} million pixels."
                               " Make it smaller or choose another photo.")
        picture = _decode(image)
    page_sized = _resized(picture, LARGEST_SIDE)
    return CleanPhoto(_encode(page_sized, image.format),
                      _encode(_resized(page_sized, THUMBNAIL_SIDE), image.format))


def _open(data: bytes) -> Image.Image:
    """Read the header only, allowing no format but JPEG and PNG."""
    try:
        return Image.open(io.BytesIO(data), formats=list(FORMATS))
    except (UnidentifiedImageError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise InvalidInput(f"The file is not a JPEG or PNG photo. {CHOOSE_ANOTHER}") from None
    except (OSError, SyntaxError, ValueError):
        raise InvalidInput(DAMAGED) from None


def _decode(image: Image.Image) -> Image.Image:
    """Decode the pixels, turned upright, in a mode both formats can save."""
    try:
        # A JPEG can be decoded straight at a smaller scale, no smaller than the page shows.
        scale = LARGEST_SIDE / max(image.size)
        image.draft("RGB", (round(image.width * scale), round(image.height * scale)))
        image.load()
        upright = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning):
        raise InvalidInput(DAMAGED) from None
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    if image.format == "PNG" and has_alpha:
        return upright.convert("RGBA")
    return upright.convert("L" if upright.mode in ("1", "L", "I;16") else "RGB")


def _resized(picture: Image.Image, largest_side: int) -> Image.Image:
    """A copy of the picture no larger than ``largest_side`` either way."""
    copy = picture.copy()
    copy.thumbnail((largest_side, largest_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return copy


def _encode(picture: Image.Image, image_format: str) -> CleanImage:
    """The picture saved with nothing but its pixels."""
    # A fresh image holds no info (EXIF, text chunks, ICC profile) from the upload.
    bare = Image.new(picture.mode, picture.size)
    bare.paste(picture)
    out = io.BytesIO()
    if image_format == "JPEG":
        bare.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        bare.save(out, "PNG")
    content_type, extension = FORMATS[image_format]
    return CleanImage(out.getvalue(), content_type, extension, *bare.size)
