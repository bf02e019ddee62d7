"""Tests of bandmate.server and bandmate.auth."""
