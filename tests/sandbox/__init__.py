"""Tests of the Recraft API sandbox, run against a real sandbox subprocess over HTTP."""
