"""Counting a round, finance sign-off and published results."""
