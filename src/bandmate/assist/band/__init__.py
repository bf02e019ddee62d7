"""The band: drum grooves, bass lines and comping from a hand-written pattern library."""
