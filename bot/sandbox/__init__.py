"""The sandbox: the fake Slack workspace and the local demo. `handoff run` never mounts it;
tests, benchmarks and `handoff demo` do."""
