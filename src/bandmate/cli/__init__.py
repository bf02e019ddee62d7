"""The ``bandmate`` command line."""
