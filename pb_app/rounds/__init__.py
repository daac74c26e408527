"""Funding rounds: budget, rules, phases and the group-lead screens that run them."""
