"""Command-line interface (``jzsim``)."""
