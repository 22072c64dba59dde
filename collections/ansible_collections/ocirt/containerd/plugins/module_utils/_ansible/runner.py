"""The one way an ocirt module runs: parse -> plan -> apply unless check mode -> result -> diff.

Every module ends in ``run_reconciler`` (state-changing) or ``run`` (read-only). Errors are
mapped here and nowhere else: an ``OcirtError`` and an ``OSError`` (EACCES, ENOSPC, EROFS,
...) both become one ``fail_json`` with a message a person can act on, never a traceback.
An error raised after something was changed carries ``changed`` (and may carry ``result``,
extra keys such as the actions done so far), so the task reports the change it made.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ..common.errors import OcirtError, describe_os_error
from ..reconcile.plan import Applied, Plan
from ..transport.connection import GRPC_IMPORT_ERROR, Connection
from .module_support import jsonable

Work = Callable[[Optional[Connection]], Dict[str, Any]]
Report = Callable[[Plan, Optional[Applied]], Dict[str, Any]]


def run(module: AnsibleModule, work: Work, connect: bool = True) -> None:
    """Run ``work`` (with a connection to containerd unless ``connect`` is false) and exit."""
    if connect and GRPC_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("grpcio"), exception=GRPC_IMPORT_ERROR)
    try:
        if connect:
            p = module.params
            with Connection(p["address"], timeout=p["timeout"]) as conn:
                result = work(conn)
        else:
            result = work(None)
    except OcirtError as exc:
        extra = jsonable(getattr(exc, "result", None) or {})
        module.fail_json(
            msg=str(exc),
            error=type(exc).__name__,
            changed=bool(getattr(exc, "changed", False)),
            **extra,
        )
    except OSError as exc:
        module.fail_json(msg=describe_os_error(exc), error=type(exc).__name__, changed=False)
    module.exit_json(**jsonable(result))


def plan_result(
    module: AnsibleModule, plan: Plan, applied: Optional[Applied], report: Report
) -> Dict[str, Any]:
    """The module result of a plan (and of its application): changed, actions, diff, extras."""
    result: Dict[str, Any] = {
        "changed": applied.did_change if applied is not None else plan.changed,
        "actions": plan.summaries(),
    }
    result.update(report(plan, applied))
    if module._diff:
        result.setdefault("diff", plan.diff())
    return result


def run_reconciler(
    module: AnsibleModule,
    plan: Callable[[Optional[Connection]], Plan],
    apply: Callable[[Optional[Connection], Plan], Applied],
    report: Report,
    connect: bool = True,
) -> None:
    """Plan; apply unless in check mode; report. ``report`` adds the module's own keys."""

    def work(conn: Optional[Connection]) -> Dict[str, Any]:
        planned = plan(conn)
        applied = None if module.check_mode else apply(conn, planned)
        return plan_result(module, planned, applied, report)

    run(module, work, connect=connect)
