"""Paper ballots at event scale: sheets keyed in batches, once or twice, then accepted."""
