"""Tests of the plain-Python DOCSIS library (no Home Assistant needed)."""
