"""Measure: events of the whole journey, attribution, metrics and reports, experiments."""
