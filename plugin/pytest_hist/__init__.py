"""pytest_hist - the pytest plugin of hist.

--shard-file runs one shard of a histplan plan, and across the plan's shards
every collected test runs exactly once; --hist-report records every test
attempt for histmerge. The hooks live in pytest_hist.plugin (the pytest11
entry point); this package imports nothing from pytest's internals.
"""

