"""A stdout callback for the tests: one JSON line per task result.

ansible-core 2.19 no longer ships a json callback (it moved to ansible.posix, which this
project does not install), so the tests bring this small one.
"""

from __future__ import annotations

import json

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: ocirt_results
type: stdout
short_description: one JSON line per task result (tests only)
description: Prints C(OCIRT-RESULT {json}) for every task result, for the test harness.
"""

MARKER = "OCIRT-RESULT "


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "ocirt_results"

    def _emit(self, result, status: str) -> None:
        payload = dict(result._result)
        payload.pop("invocation", None)
        payload["failed"] = status == "failed"  # 2.19 keeps it out of _result
        payload["_status"] = status
        line = {"task": result._task.get_name(), "host": result._host.get_name(), "result": payload}
        self._display.display(MARKER + json.dumps(line, default=str))

    def v2_runner_on_ok(self, result, **kwargs):
        self._emit(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False, **kwargs):
        self._emit(result, "failed")

    def v2_runner_on_skipped(self, result, **kwargs):
        self._emit(result, "skipped")

    def v2_runner_on_unreachable(self, result, **kwargs):
        self._emit(result, "unreachable")
