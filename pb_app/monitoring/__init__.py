"""Equalities monitoring: an optional, anonymous questionnaire reported only in aggregate."""
