"""The caseload as operators see it: finding cases, counting them, acting on many at once."""
