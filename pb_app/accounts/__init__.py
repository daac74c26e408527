"""Accounts: people, their roles, signing in and out, and password resets."""
