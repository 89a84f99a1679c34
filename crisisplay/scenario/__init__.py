"""Drill scenarios: the format (`model`), loading and checking (`loader`, `checks`), how `show`
prints one (`render`) and its JSON Schema (`schema`), and what a drill's log says of its scenario
clock and injects (`state`)."""
