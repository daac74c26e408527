"""The home page: what the service is for, and every locality by name, each a link to its page."""

from __future__ import annotations

from factories import LocalityFactory


def test_the_home_page_names_every_locality_and_says_what_the_service_is_for(client):
    localities = [LocalityFactory(name=name)
                  for name in ["Tweeddale", "Eildon", "Teviot and Liddesdale"]]
    page = client.get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for locality in localities:
        assert f'href="/localities/{locality.slug}">{locality.name}</a></li>' in text
    assert "Residents decide together how part of the health and social care budget" in text


def test_the_home_page_says_when_there_are_no_localities(client):
    assert "No localities have been set up yet." in client.get("/").get_data(as_text=True)


def test_the_home_page_title_is_the_service_name_once(app, client):
    page = client.get("/").get_data(as_text=True)
    assert f"<title>{app.config['SERVICE_NAME']}</title>" in page
