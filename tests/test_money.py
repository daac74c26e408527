"""Money shown to people: one format, and one ``pounds`` filter and global for every page."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask, render_template_string

from pb_app.money import MAX_PENCE, financial_year_label, financial_year_of, format_pounds
from pb_app.web.layout import init_layout


@pytest.mark.parametrize(("pence", "text"), [
    (0, "£0"),
    (1, "£0.01"),
    (99, "£0.99"),
    (100, "£1"),
    (1250, "£12.50"),
    (125_000, "£1,250"),
    (125_050, "£1,250.50"),
    (-1, "-£0.01"),
    (-100, "-£1"),
    (-1250, "-£12.50"),
    (-125_050, "-£1,250.50"),
    (MAX_PENCE, "£21,474,836.47"),
    (-MAX_PENCE, "-£21,474,836.47"),
    (100_000_000_000_00, "£100,000,000,000"),
    (None, ""),
])
def test_format_pounds_puts_the_sign_before_the_pound_sign(pence, text):
    assert format_pounds(pence) == text


def test_every_template_has_pounds_without_any_blueprint():
    bare = Flask(__name__)
    init_layout(bare)
    with bare.test_request_context("/"):
        shown = render_template_string("{{ 125050|pounds }} {{ pounds(-1250) }} {{ none|pounds }}"
                                       " {{ 2026|financial_year }}", none=None)
    assert shown == "£1,250.50 -£12.50  2026-27"


def test_no_blueprint_registers_its_own_money_filters(app):
    blueprints = [bp for name, bp in app.blueprints.items() if "." not in name]
    assert len(blueprints) > 10
    for blueprint in blueprints:
        alone = Flask(__name__)
        alone.register_blueprint(blueprint)
        with alone.test_request_context("/"):
            helpers = {name for processors in alone.template_context_processors.values()
                       for processor in processors for name in processor()}
        offered = set(alone.jinja_env.filters) | set(alone.jinja_env.globals) | helpers
        assert not offered & {"pounds", "money", "financial_year"}, blueprint.name


def test_the_app_shows_money_with_the_money_module(app):
    assert app.jinja_env.filters["pounds"] is format_pounds
    assert app.jinja_env.globals["pounds"] is format_pounds
    assert "money" not in app.jinja_env.filters


@pytest.mark.parametrize(
    "day, year, label",
    [
        (date(2026, 3, 31), 2025, "2025-26"),
        (date(2026, 4, 1), 2026, "2026-27"),
        (date(1999, 12, 31), 1999, "1999-00"),
    ],
)
def test_financial_year_runs_april_to_march(day, year, label):
    assert financial_year_of(day) == year
    assert financial_year_label(year) == label
