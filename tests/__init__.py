"""Tests of DOCSight for Home Assistant."""
