"""Helpers of the template's own test tooling (noxfile.py and tests/)."""
