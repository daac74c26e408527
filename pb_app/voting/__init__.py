"""Voting: eligibility, voting codes, ballots of every type, casting, receipts, paper entry."""
