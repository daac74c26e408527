"""The questionnaire page: answer, skip, a used ticket, a forged ticket."""

from __future__ import annotations

from sqlalchemy import func, select

from monitoring.builders import answering_round, close_and_open, others_answer
from pb_app.extensions import db
from pb_app.monitoring.models import EqualitiesResponse, SealedResponse
from pb_app.monitoring.services import issue_ticket


def _sealed_responses() -> int:
    return db.session.scalar(select(func.count()).select_from(SealedResponse))


def test_answer_the_questionnaire_then_the_link_is_spent(client):
    round_ = answering_round()
    token = issue_ticket(round_)
    page = client.get(f"/equalities/{token}").get_data(as_text=True)
    assert "Prefer not to say" in page and "not linked to your vote" in page
    response = client.post(
        f"/equalities/{token}",
        data={
            "sex": "male",
            "age_band": "65_74",
            "disability": "prefer_not_to_say",
            "postcode": "TD10 6XX",
            "send": "Send my answers",
        },
    )
    assert response.status_code == 302 and response.location.endswith("/equalities/thank-you")
    assert client.get(f"/equalities/{token}").status_code == 409
    others_answer(round_)
    close_and_open(round_)
    stored = db.session.scalars(select(EqualitiesResponse).where(
        EqualitiesResponse.sex == "male")).one()
    assert (stored.sex, stored.age_band, stored.disability, stored.religion, stored.area_type) == (
        "male",
        "65_74",
        "prefer_not_to_say",
        "not_answered",
        "rural",
    )


def test_skipping_stores_no_answers(client):
    token = issue_ticket(answering_round())
    response = client.post(f"/equalities/{token}", data={"sex": "male", "skip": "Skip"})
    assert response.status_code == 302
    assert _sealed_responses() == 0
    assert client.post(f"/equalities/{token}", data={"send": "Send"}).status_code == 409


def test_bad_answers_and_forged_links_are_refused(client):
    token = issue_ticket(answering_round())
    db.session.commit()  # a refused answer undoes everything since the last commit
    bad = client.post(f"/equalities/{token}", data={"sex": "robot", "send": "Send"})
    assert bad.status_code == 422 and "Choose one of the answers" in bad.get_data(as_text=True)
    assert 'name="sex"' in bad.get_data(as_text=True)  # the questions stay on the page
    long = client.post(f"/equalities/{token}", data={"postcode": "TD1 1AA" * 3, "send": "Send"})
    assert long.status_code == 422  # was a 200 that showed no error
    text = long.get_data(as_text=True)
    assert 'class="govuk-error-summary' in text and 'id="postcode-error"' in text
    assert client.get("/equalities/not-a-real-ticket").status_code == 422
    assert _sealed_responses() == 0


def test_page_titles_name_the_service_once(client, app):
    token = issue_ticket(answering_round())
    service = app.config["SERVICE_NAME"]
    for url, own in ((f"/equalities/{token}", "Equalities questions (optional)"),
                     ("/equalities/thank-you", "Thank you")):
        page = client.get(url).get_data(as_text=True)
        assert f"<title>{own} – {service}</title>" in page


def test_the_thank_you_says_the_vote_is_sealed_not_counted_and_leads_home(client):
    """The questionnaire is answered while voting is open: the vote waits sealed in the box."""
    page = client.get("/equalities/thank-you").get_data(as_text=True)
    assert "Your vote is sealed in the ballot box until the count." in page
    assert "has been counted" not in page
    assert '<a class="govuk-link" href="/">Back to the home page</a>' in page
