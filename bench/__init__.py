"""Benchmarks (not tests): `make bench` writes bench/RESULTS.md."""
