"""Drill scenarios: the format (`model`), loading and checking (`loader`, `checks`), and what a
drill's log says of its scenario clock and injects (`state`)."""
