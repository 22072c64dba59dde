"""Prints how many EXAMPLES tasks ran per module at the end of the run."""

from __future__ import annotations

from .test_module_examples import EXECUTED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if EXECUTED:
        terminalreporter.section("EXAMPLES executed")
        for module in sorted(EXECUTED):
            terminalreporter.write_line(f"{module}: {EXECUTED[module]}")
        terminalreporter.write_line(f"total: {sum(EXECUTED.values())}")
