"""The sealed ballot box: key holders, sealing each round's ballots, opening them for the count."""
