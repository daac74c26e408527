"""The tally core: pure Python from ballots to funded projects, with an explanation.

Imports neither Flask nor SQLAlchemy nor any other ``pb_app`` package (a test reads the
imports to keep it so). The same core runs in the app, on the command line on a pabulib
``.pb`` file, and in the test suite against ``pabutools`` as an independent oracle.
"""
