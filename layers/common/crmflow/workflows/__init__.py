"""Workflows: definitions, scheduling calendar and (elsewhere) enrollment and execution."""
