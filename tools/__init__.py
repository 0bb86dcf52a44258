"""Local tooling: the development stack and its mail sink."""
