"""Temporal workflows of the ICR engine."""
