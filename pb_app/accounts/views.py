"""Pages to register, sign in and out, keep a profile, reset a password, and manage roles."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from wtforms.fields.choices import SelectChoice

from pb_app.accounts import forms, services
from pb_app.accounts.cli import make_admin_command
from pb_app.accounts.decorators import role_required
from pb_app.accounts.models import ADMINISTRATOR
from pb_app.accounts.tokens import read_reset_token
from pb_app.errors import DomainError
from pb_app.extensions import db
from pb_app.layout import add_navigation_link, form_page, pagination_links, refused_form_page
from pb_app.localities.services import get_locality_by_slug, list_localities

bp = Blueprint("accounts", __name__, template_folder="templates", cli_group="accounts")
bp.cli.add_command(make_admin_command)
add_navigation_link(bp, "Users and roles", "accounts.list_users", role=ADMINISTRATOR)


def _safe_next(default: str) -> str:
    """The ``next`` address when it stays on this site, else ``default``."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not parts.netloc and not parts.scheme and "\\" not in target:
        return target
    return default


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create an account, then sign in and go to the profile to add postcode and age."""
    form = forms.RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_user(form.email.data, form.password.data, form.full_name.data)
        except DomainError as error:  # an email already registered
            return refused_form_page("accounts/register.html", form, error, form.email)
        db.session.commit()
        login_user(user)
        flash("Your account has been created. Add your postcode and date of birth to take part.",
              "success")
        return redirect(url_for("accounts.profile"))
    return form_page("accounts/register.html", form)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Sign in with email and password; failures are counted and throttled."""
    form = forms.SignInForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data,
                                         request.remote_addr or "unknown")
        except DomainError as error:
            db.session.commit()  # keep the failure count that throttles guessing
            return refused_form_page("accounts/sign_in.html", form, error, form.email)
        db.session.commit()
        login_user(user)
        return redirect(_safe_next(url_for("localities.index")))
    return form_page("accounts/sign_in.html", form)


@bp.post("/sign-out")
def sign_out():
    """Sign out (a POST with a CSRF token, so another site cannot sign you out)."""
    if forms.SignOutForm().validate_on_submit():
        logout_user()
        flash("You have signed out.", "success")
    return redirect(url_for("localities.index"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Show the account and record postcode and date of birth, which decide locality and age."""
    form = forms.ProfileForm(obj=current_user)
    context = {"today": services.today()}
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, form.postcode.data, form.date_of_birth.data,
                                    context["today"])
        except DomainError as error:  # the form checked; this is a change made meanwhile
            return refused_form_page("accounts/profile.html", form, error, form.postcode, **context)
        db.session.commit()
        flash(f"Saved. You take part in {current_user.locality.name}.", "success")
        return redirect(url_for("accounts.profile"))
    return form_page("accounts/profile.html", form, **context)


@bp.route("/reset-password", methods=["GET", "POST"])
def request_reset():
    """Ask for a reset link by email; the answer is the same whether or not the account exists."""
    form = forms.RequestResetForm()
    if form.validate_on_submit():
        services.request_password_reset(
            form.email.data, lambda token: url_for("accounts.reset_password", token=token,
                                                   _external=True))
        db.session.commit()
        return render_template("accounts/reset_sent.html", email=form.email.data)
    return form_page("accounts/request_reset.html", form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password with the link from the email (a dead link is refused at once)."""
    read_reset_token(token)
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        services.reset_password(token, form.password.data)
        db.session.commit()
        flash("Your password has been changed. Sign in with your new password.", "success")
        return redirect(url_for("accounts.sign_in"))
    return form_page("accounts/reset_password.html", form)


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
        try:
            services.grant_role(current_user, user, form.role.data, locality)
        except DomainError as error:
            return refused_form_page("accounts/user_roles.html", form, error, form.role, **context)
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
