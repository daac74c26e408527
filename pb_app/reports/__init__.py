"""IJB oversight reports: per round and per financial year, as HTML, PDF and CSV."""
