"""The voting code page writes its three fields out in GOV.UK Frontend's markup instead of
rendering them with the form widgets (the page is on every vote by code, and the widgets cost
more than the rest of it): the markup must say what the widgets would, empty and with errors."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask import render_template_string

from pb_app.voting.forms import CodeForm

TAGS = {"div", "label", "input", "fieldset", "legend", "p"}
IGNORED = {"required"}  # the widgets write required="required", the page the bare attribute


class Elements(HTMLParser):
    """The page's form elements as (tag, attributes) and their text, in order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in TAGS:
            kept = {name: " ".join((value or "").split()) for name, value in attrs
                    if name not in IGNORED}
            self.found.append((tag, tuple(sorted(kept.items()))))

    def handle_data(self, data):
        if data.strip():
            self.found.append(("text", " ".join(data.split())))


WIDGETS = """{{ form.code(params={"classes": "govuk-input--width-20", "spellcheck": false,
                                  "autocomplete": "off"}) }}
{{ form.postcode(params={"classes": "govuk-input--width-10", "autocomplete": "postal-code"}) }}
{{ form.date_of_birth }}"""
WRITTEN_OUT = """{% import "voting/_code_fields.html" as fields %}
{{ fields.text_input(form.code, "govuk-input--width-20", "off", spellcheck="false") }}
{{ fields.text_input(form.postcode, "govuk-input--width-10", "postal-code") }}
{{ fields.date_input(form.date_of_birth) }}"""


@pytest.mark.parametrize("posted", [
    None,
    {"code": "", "postcode": "TD1 2XY", "date_of_birth": ["31", "2", "1960"]},
    {"code": "ABCDE", "postcode": "", "date_of_birth": ["1", "", "x"]},
    {"code": "22222-33333-44444", "postcode": "TD1 2XY", "date_of_birth": ["1", "2", "1960"]},
])
def test_the_written_out_fields_say_what_the_widgets_say(app, posted):
    method = "POST" if posted else "GET"
    with app.test_request_context("/", method=method, data=posted or {}):
        form = CodeForm(meta={"csrf": False})
        if posted:
            form.validate()
        widgets = Elements(render_template_string(WIDGETS, form=form)).found
        written = Elements(render_template_string(WRITTEN_OUT, form=form)).found
    assert written == widgets
    assert ("input", ()) not in written and len(written) > 20
