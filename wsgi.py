"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""

from pb_app import create_app

app = create_app()
