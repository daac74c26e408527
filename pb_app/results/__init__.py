"""Counting a round, finance sign-off, published results, and the allocation ledger."""
