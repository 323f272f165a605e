"""Tests of the template itself (not of the projects it renders)."""
