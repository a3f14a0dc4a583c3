"""Test support shipped with the package (tests, benchmarks and other engineers' fixtures use it)."""
