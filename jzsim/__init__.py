"""jzsim."""
