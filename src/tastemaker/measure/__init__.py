"""Measurement: events of the whole journey, attribution, metrics and reports; experiments
(assignment, statistics, sequential tests) and bandits.

Each module holds one idea; import from the module itself (``tastemaker.measure.stats``), so
that this package can grow without one file listing everything.
"""
