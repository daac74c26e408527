"""Proposals, their cost lines, automatic checks and the group lead's review."""
