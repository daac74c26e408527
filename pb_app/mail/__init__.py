"""Email through an outbox: ``send_mail`` saves a message with the change it reports, and
``flask mail send`` delivers it (see ``pb_app.mail.services``)."""

from __future__ import annotations

from pb_app.mail.services import send_mail

__all__ = ["send_mail"]
