"""Personal data: the purge of voters' details, a resident's download, closing an account."""
