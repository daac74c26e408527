"""Pages to register, sign in and out, keep a profile, reset a password, set up a second
factor, and manage roles."""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from wtforms.fields.choices import SelectChoice

from pb_app.accounts import forms, services
from pb_app.accounts.cli import make_admin_command
from pb_app.accounts.decorators import role_required
from pb_app.accounts.models import ADMINISTRATOR, User, load_user
from pb_app.accounts.tokens import (
    DEVICE_COOKIE,
    DEVICE_COOKIE_MAX_AGE,
    browser_mark,
    read_registration_token,
    read_reset_token,
    registered_in,
    remember_device,
)
from pb_app.extensions import db
from pb_app.localities.services import get_locality_by_slug, list_localities
from pb_app.web.layout import (
    ButtonForm,
    add_navigation_link,
    attempt,
    form_page,
    pagination_links,
    refused_form_page,
)

bp = Blueprint("accounts", __name__, template_folder="templates", cli_group="accounts")
bp.cli.add_command(make_admin_command)
add_navigation_link(bp, "Users and roles", "accounts.list_users", role=ADMINISTRATOR)


# The longest page address kept to go back to: the app's own are far shorter, and a crafted
# one must not swell the emailed links and addresses that carry it.
MAX_NEXT = 500


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site, at most ``MAX_NEXT`` characters, else
    ``default``.

    Browsers read ``//host``, ``/\\host`` and, after dropping tabs and newlines, ``/\t/host``
    as another site, so only a single ``/`` followed by something other than a slash or
    backslash passes, with no control character, scheme or host anywhere.
    """
    target = target or ""
    if (not target.startswith("/") or len(target) > MAX_NEXT or target[1:2] in ("/", "\\")
            or "\\" in target
            or any(ord(ch) < 0x21 or 0x7F <= ord(ch) <= 0x9F for ch in target)):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def _address() -> str:
    return request.remote_addr or "unknown"


def _device_cookie() -> str | None:
    return request.cookies.get(DEVICE_COOKIE)


def _redirect_remembering_device(user: User, target: str):
    """A redirect to ``target`` that remembers this browser as one of ``user``'s devices."""
    response = make_response(redirect(target))
    response.set_cookie(DEVICE_COOKIE, remember_device(_device_cookie(), user),
                        max_age=int(DEVICE_COOKIE_MAX_AGE.total_seconds()), httponly=True,
                        secure=request.is_secure, samesite="Lax")
    return response


def _signed_in(user: User, target: str):
    """Sign ``user`` in, and remember this browser for their account (the device cookie)."""
    login_user(user)
    return _redirect_remembering_device(user, target)


def _next_page() -> str | None:
    """The page of this site named by the ``next`` query parameter, if any."""
    return safe_next(request.args.get("next"), "") or None


# A random secret kept by the browser that last registered here; the emailed link carries its
# mark, and confirms without a password only in this browser. Kept whether or not the address
# had an account, so the cookie tells nobody which.
REGISTERED_HERE = "registered_here"


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Start an account; the page is the same whether or not the address has one already."""
    form = forms.RegisterForm()
    if form.validate_on_submit():
        secret = secrets.token_urlsafe(16)
        with attempt() as registering:  # a weak password, no name: nothing about the address
            services.register_user(form.email.data, form.password.data, form.full_name.data,
                                   return_to=_next_page(), browser=browser_mark(secret))
        if registering.refusal:
            return refused_form_page("accounts/register.html", form, registering.refusal,
                                     form.password)
        db.session.commit()
        session[REGISTERED_HERE] = secret
        return render_template("accounts/register_sent.html", email=form.email.data,
                               next_page=_next_page())
    return form_page("accounts/register.html", form, next_page=_next_page())


@bp.route("/register/<token>", methods=["GET", "POST"])
def finish_registration(token: str):
    """Confirm the address with the emailed link, sign in, and go on to the profile (and from
    it to the page the person registered from, which the link names, in whatever browser it
    is opened).

    In a browser other than the one that registered, the link asks for the account's password
    too: whoever registers someone else's address cannot have its owner confirm an account
    whose password they chose.
    """
    user = read_registration_token(token)  # a dead link is refused at once
    if user.email_confirmed_at is not None:
        flash("Your email address is already confirmed. Sign in to continue.", "success")
        return redirect(url_for("accounts.sign_in"))
    here = registered_in(token, session.get(REGISTERED_HERE))
    form = ButtonForm() if here else forms.RegistrationPasswordForm()
    if form.validate_on_submit():
        with attempt() as confirming:
            if not here:
                services.authenticate(user.email, form.password.data, _address(),
                                      device_cookie=_device_cookie(), confirming=True)
            _, just_now = services.finish_registration(token)
        if confirming.refusal:
            refusal = confirming.refusal
            if isinstance(refusal, services.SignInFailed):  # no email address on this page
                refusal = services.SignInFailed("That is not the password of this account.")
            return refused_form_page("accounts/register_confirm.html", form, refusal,
                                     getattr(form, "password", None))
        db.session.commit()
        if not just_now:  # confirmed by another request since the check above
            return redirect(url_for("accounts.sign_in"))
        session.pop(REGISTERED_HERE, None)
        flash("Your email address is confirmed. Add your postcode and date of birth to take "
              "part.", "success")
        return _signed_in(user, url_for("accounts.profile", next=_next_page()))
    return form_page("accounts/register_confirm.html", form)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Sign in with email and password (then a code, with a second factor); throttled."""
    form = forms.SignInForm()
    if form.validate_on_submit():
        with attempt() as signing_in:
            user = services.authenticate(form.email.data, form.password.data, _address(),
                                         device_cookie=_device_cookie())
        if signing_in.refusal:
            return refused_form_page("accounts/sign_in.html", form, signing_in.refusal,
                                     form.email)
        db.session.commit()
        target = safe_next(request.args.get("next"), url_for("localities.index"))
        if user.has_second_factor:
            session[PENDING_SIGN_IN] = {"user": user.get_id(), "at": int(time.time()),
                                        "next": target}
            return redirect(url_for("accounts.sign_in_code"))
        return _signed_in(user, target)
    return form_page("accounts/sign_in.html", form)


PENDING_SIGN_IN = "pending_sign_in"
PENDING_SIGN_IN_SECONDS = 300


def _pending_user() -> tuple[User | None, str]:
    """The user who gave the right password in this browser in the last few minutes."""
    pending = session.get(PENDING_SIGN_IN) or {}
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > \
            PENDING_SIGN_IN_SECONDS:
        return None, ""
    user = load_user(str(pending.get("user", "")))
    return user, safe_next(pending.get("next"), url_for("localities.index"))


@bp.route("/sign-in/code", methods=["GET", "POST"])
def sign_in_code():
    """The second step of signing in with a second factor: a code from the app."""
    user, target = _pending_user()
    if user is None:
        session.pop(PENDING_SIGN_IN, None)
        flash("Sign in again: the page was open too long.", "info")
        return redirect(url_for("accounts.sign_in"))
    form = forms.SecondFactorCodeForm()
    if form.validate_on_submit():
        with attempt() as checking:
            services.check_second_factor(user, form.code.data, _address(),
                                         device_cookie=_device_cookie())
        if checking.refusal:
            return refused_form_page("accounts/sign_in_code.html", form, checking.refusal,
                                     form.code)
        db.session.commit()
        session.pop(PENDING_SIGN_IN, None)
        return _signed_in(user, target)
    return form_page("accounts/sign_in_code.html", form)


@bp.post("/sign-out")
def sign_out():
    """Sign out everywhere (a POST with a CSRF token, so another site cannot sign you out)."""
    if forms.SignOutForm().validate_on_submit():
        if current_user.is_authenticated:
            services.end_sessions(current_user)
            db.session.commit()
        logout_user()
        flash("You have signed out.", "success")
    return redirect(url_for("localities.index"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Show the account and record postcode and date of birth, which decide locality and age;
    then go back to the ``next`` page (the vote that asked for them), if one is given."""
    form = forms.ProfileForm(obj=current_user)
    context = {"today": services.today()}
    if form.validate_on_submit():
        with attempt() as updating:  # the form checked; this is a change made meanwhile
            services.update_profile(current_user, form.postcode.data, form.date_of_birth.data,
                                    context["today"])
        if updating.refusal:
            return refused_form_page("accounts/profile.html", form, updating.refusal,
                                     form.postcode, **context)
        db.session.commit()
        flash(f"Saved. You take part in {current_user.locality.name}.", "success")
        return redirect(_next_page() or url_for("accounts.profile"))
    return form_page("accounts/profile.html", form, **context)


@bp.route("/reset-password", methods=["GET", "POST"])
def request_reset():
    """Ask for a reset link by email; the answer is the same whether or not the account exists."""
    form = forms.RequestResetForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)  # the link is built on BASE_URL
        db.session.commit()
        return render_template("accounts/reset_sent.html", email=form.email.data)
    return form_page("accounts/request_reset.html", form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password with the link from the email (a dead link is refused at once)."""
    read_reset_token(token)
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        user = services.reset_password(token, form.password.data)
        db.session.commit()
        flash("Your password has been changed. Sign in with your new password.", "success")
        # The link reached the owner's mailbox: this browser becomes one of their devices, so
        # no one else's wrong guesses can keep them from signing in here.
        return _redirect_remembering_device(user, url_for("accounts.sign_in"))
    return form_page("accounts/reset_password.html", form)


# The second factor -----------------------------------------------------------------------------

# Pages a staff member without a second factor can still reach while one is compulsory.
SECOND_FACTOR_EXEMPT = {"static", "accounts.second_factor", "accounts.confirm_second_factor",
                        "accounts.sign_out", "accounts.sign_in", "accounts.sign_in_code"}


@bp.before_app_request
def require_second_factor():
    """While a second factor is compulsory, send staff without one to set it up first."""
    if request.endpoint in SECOND_FACTOR_EXEMPT or not current_user.is_authenticated:
        return None
    if services.needs_second_factor_setup(current_user):
        flash("Set up a second factor before you go on: staff must now have one.", "info")
        return redirect(url_for("accounts.second_factor"))
    return None


@bp.route("/account/second-factor", methods=["GET", "POST"])
@login_required
def second_factor():
    """Show whether the account has a second factor, and start setting one up."""
    form = ButtonForm()
    context = {"off_form": forms.SecondFactorCodeForm(prefix="off"),
               "required": services.is_second_factor_required(),
               "recovery_left": services.unused_recovery_codes(current_user)}
    if form.validate_on_submit():
        with attempt() as starting:
            services.start_second_factor(current_user)
        if starting.refusal:
            return refused_form_page("accounts/second_factor.html", form, starting.refusal,
                                     **context)
        db.session.commit()
        return redirect(url_for("accounts.confirm_second_factor"))
    return form_page("accounts/second_factor.html", form, **context)


@bp.route("/account/second-factor/confirm", methods=["GET", "POST"])
@login_required
def confirm_second_factor():
    """Scan the QR code, then type a code to prove the app works; shows the recovery codes."""
    if current_user.totp_secret is None or current_user.has_second_factor:
        return redirect(url_for("accounts.second_factor"))
    form = forms.SecondFactorCodeForm()
    context = {"qr_svg": services.second_factor_qr_svg(current_user),
               "secret": current_user.totp_secret}
    if form.validate_on_submit():
        with attempt() as confirming:
            codes = services.confirm_second_factor(current_user, form.code.data)
        if confirming.refusal:
            return refused_form_page("accounts/second_factor_confirm.html", form,
                                     confirming.refusal, form.code, **context)
        db.session.commit()
        response = make_response(render_template("accounts/recovery_codes.html", codes=codes))
        response.headers["Cache-Control"] = "no-store"
        return response
    response = make_response(form_page("accounts/second_factor_confirm.html", form, **context))
    response.headers["Cache-Control"] = "no-store"  # the page shows the secret
    return response


@bp.post("/account/second-factor/off")
@login_required
def turn_off_second_factor():
    """Turn the second factor off, with a current code."""
    form = forms.SecondFactorCodeForm(prefix="off")
    if form.validate_on_submit():
        services.turn_off_second_factor(current_user, form.code.data)
        db.session.commit()
        flash("Your second factor is off.", "success")
    return redirect(url_for("accounts.second_factor"))


@bp.route("/admin/second-factor", methods=["GET", "POST"])
@role_required(ADMINISTRATOR)
def second_factor_requirement():
    """An administrator makes a second factor compulsory for staff, or optional."""
    form = forms.SecondFactorRequirementForm(
        required="yes" if services.is_second_factor_required() else "no")
    if form.validate_on_submit():
        with attempt() as setting:
            services.set_second_factor_required(current_user, form.required.data == "yes")
        if setting.refusal:
            return refused_form_page("accounts/second_factor_requirement.html", form,
                                     setting.refusal, form.required)
        db.session.commit()
        flash("Saved.", "success")
        return redirect(url_for("accounts.second_factor_requirement"))
    return form_page("accounts/second_factor_requirement.html", form)


@bp.get("/admin/users")
@role_required(ADMINISTRATOR)
def list_users():
    """Every user with their roles, for an administrator."""
    search = request.args.get("q", "")
    users = services.list_users(search, request.args.get("page", 1, type=int))
    query = {"q": search} if search else {}
    return render_template("accounts/users.html", search=search, users=users,
                           pages=pagination_links(users, "accounts.list_users", **query))


def _grant_form() -> forms.GrantRoleForm:
    form = forms.GrantRoleForm()
    form.locality.choices = [SelectChoice("", "Not a group lead")] + [
        SelectChoice(locality.slug, locality.name) for locality in list_localities()
    ]
    return form


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@role_required(ADMINISTRATOR)
def user_roles(user_id: int):
    """One user's roles, and the form to grant another."""
    user = services.get_user(user_id)
    form = _grant_form()
    context = {"user": user, "remove_form": forms.RemoveRoleForm()}
    if form.validate_on_submit():
        locality = get_locality_by_slug(form.locality.data) if form.locality.data else None
        with attempt() as granting:
            services.grant_role(current_user, user, form.role.data, locality)
        if granting.refusal:
            return refused_form_page("accounts/user_roles.html", form, granting.refusal,
                                     form.role, **context)
        db.session.commit()
        flash(f"{user.full_name} now has the role.", "success")
        return redirect(url_for("accounts.user_roles", user_id=user.id))
    return form_page("accounts/user_roles.html", form, **context)


@bp.post("/admin/users/<int:user_id>/roles/<int:grant_id>/remove")
@role_required(ADMINISTRATOR)
def remove_role(user_id: int, grant_id: int):
    """Take one role away from a user."""
    user = services.get_user(user_id)
    if forms.RemoveRoleForm().validate_on_submit():
        services.remove_role(current_user, services.get_grant(user, grant_id))
        db.session.commit()
        flash(f"The role was removed from {user.full_name}.", "success")
    return redirect(url_for("accounts.user_roles", user_id=user.id))
