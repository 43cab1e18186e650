"""Tools that never run in production: evaluation, benchmarks, profiling, the story test runner."""
