"""The benchmark harness behind ``make bench``: data, runs, baselines and the report in docs/benchmarks.*.

Not part of the service and not part of ``make test``. Run it with ``make bench`` (or ``python -m bench``).
"""
