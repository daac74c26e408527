"""Localities (Community Integration Groups) and the postcode lookup that places residents."""
