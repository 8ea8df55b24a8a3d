"""Helpers shared by several test suites: emulator hooks, dag.test() results, API fakes."""
