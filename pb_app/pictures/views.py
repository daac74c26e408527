"""Photo pages: a proposal's photos page (add, remove) and the photo files themselves."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_login import current_user, login_required

from pb_app.errors import DomainError, InvalidInput, NotFound
from pb_app.extensions import db
from pb_app.pictures import services
from pb_app.pictures.forms import PhotoForm
from pb_app.pictures.images import MAX_UPLOAD_BYTES, check_upload_size
from pb_app.pictures.models import MAX_ALT_TEXT, MAX_PHOTOS
from pb_app.pictures.storage import check_name, photo_storage
from pb_app.proposals.services import get_proposal
from pb_app.web.layout import ButtonForm, attempt, form_page, refused_form_page

bp = Blueprint("pictures", __name__, template_folder="templates")
# The photo and the form's few short fields; a larger request is refused unread.
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + 64 * 1024
# Photos of public proposals may be kept by browsers and proxies for an hour; others only by
# the browser of the person allowed to see them.
PUBLIC_CACHE = "public, max-age=3600"
PRIVATE_CACHE = "private, max-age=600"


@bp.app_template_global("proposal_photos")
def proposal_photos(proposal) -> list:
    """The proposal's photos the signed-in person (or visitor) may see."""
    return services.visible_photos(proposal, current_user)


@bp.app_template_global("may_manage_photos")
def may_manage_photos(proposal) -> bool:
    """True if the photos page should be offered to the signed-in person."""
    return services.may_manage_photos(proposal, current_user)


@bp.url_value_preprocessor
def refuse_large_uploads(endpoint: str | None, values: dict | None) -> None:
    """Refuse an upload larger than the limit before anything (CSRF included) reads it."""
    if endpoint == "pictures.manage" and request.method == "POST":
        request.max_content_length = MAX_REQUEST_BYTES  # also caps a body of unknown length
        if (request.content_length or 0) > MAX_REQUEST_BYTES:
            check_upload_size(request.content_length)


def _manage_page(proposal, form: PhotoForm, error: DomainError | None = None):
    """The photos page; a refusal goes on the file, the alt text, or the whole form."""
    context = {"proposal": proposal, "photos": proposal.photos, "remove_form": ButtonForm(),
               "max_photos": MAX_PHOTOS, "max_alt_text": MAX_ALT_TEXT}
    if error is None:
        return form_page("pictures/manage.html", form, **context)
    field = (form.alt_text if isinstance(error, services.AltTextRefused)
             else form.photo if isinstance(error, InvalidInput) else None)
    return refused_form_page("pictures/manage.html", form, error, field, **context)


def _read_upload(upload) -> tuple[bytes, str]:
    """The uploaded file's bytes (one more than the limit at most, so that the service sees it
    is too large without reading it all) and its name; empty when no file was chosen."""
    if not upload:
        return b"", ""
    return upload.stream.read(MAX_UPLOAD_BYTES + 1), upload.filename or ""


@bp.route("/proposals/<int:proposal_id>/photos", methods=["GET", "POST"])
@login_required
def manage(proposal_id: int):
    """A proposal's photos: add one with its alt text, or remove one."""
    proposal = get_proposal(proposal_id, current_user)
    services.check_photos_page(proposal, current_user)
    form = PhotoForm()
    if not form.validate_on_submit():
        return _manage_page(proposal, form)
    data, filename = _read_upload(form.photo.data)
    with attempt() as adding:
        services.add_photo(proposal, current_user, data, filename, form.alt_text.data)
    if adding.refusal:
        return _manage_page(proposal, form, adding.refusal)
    db.session.commit()
    flash("The photo has been added.", "success")
    return redirect(url_for("pictures.manage", proposal_id=proposal.id))


@bp.post("/photos/<int:photo_id>/remove")
@login_required
def remove(photo_id: int):
    """Remove a photo from its proposal."""
    photo = services.get_photo(photo_id, current_user)
    proposal_id = photo.proposal_id
    services.remove_photo(photo, current_user)
    db.session.commit()
    flash("The photo has been removed.", "success")
    return redirect(url_for("pictures.manage", proposal_id=proposal_id))


@bp.get("/photos/<name>")
def serve(name: str):
    """A photo file, to whoever may see its proposal; never sniffed as anything else."""
    try:
        check_name(name)
    except ValueError:
        raise NotFound("There is no such photo") from None
    photo, is_public = services.find_photo_file(name, current_user)
    data = photo_storage().read(name)
    if data is None:
        raise NotFound("There is no such photo")
    response = Response(data, mimetype=photo.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = PUBLIC_CACHE if is_public else PRIVATE_CACHE
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.set_etag(name)
    return response.make_conditional(request)
