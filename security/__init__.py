"""Primitives of privacy: payload sealing, stamps and their keys, the staff directory."""
