"""Tests of bandmate.store."""
