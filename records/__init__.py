"""Privacy Act records: the release package for a records request."""
