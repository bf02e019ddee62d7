"""Harmony voices: new voices under a melody, learned from Palestrina and the Bach chorales."""
