"""Placeholder until its views land."""
