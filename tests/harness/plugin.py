"""pytest fixtures of the ocirt harness (registered by tests/conftest.py).

Session fixtures:
  containerd_netns  a started ContainerdDaemon of its own, run inside a network namespace
                  the harness made (.test_netns, harness.netns.TestNetns), for tests whose
                  CNI plugins make bridges, veths and iptables rules; same series as below
  containerd      a started ContainerdDaemon, parametrized over the selected series
                  (OCIRT_CONTAINERD_VERSIONS, comma list of 1.6/1.7/2.1, default every
                  supported series, daemon.ALL_SERIES; test ids "1.6", "1.7", "2.1").
                  1.7/2.1 are fetched (cached) with scripts/fetch-containerd.sh.
  registry_http   Registry, plain HTTP on 127.0.0.1
  registry_tls    Registry, TLS with a CA made for the session (.ca_path)
  registry_auth   Registry, TLS + htpasswd basic auth (.username/.password)
  test_ca         the CertificateAuthority used by the TLS registries
Function fixtures:
  containerd_namespace   a fresh namespace name on `containerd`, cleaned up afterwards
  busybox                harness.images.busybox_image() (3 layers, see there)

When a test fails, the log tails of the daemons and registries it used are added to its
report.
"""

from __future__ import annotations

import os
import secrets
from typing import Iterator, List

import pytest

from .daemon import ALL_SERIES, ContainerdDaemon, ensure_containerd, running
from .images import Image, busybox_image
from .netns import TestNetns
from .registry import Registry
from .tls import CertificateAuthority

#: Every supported series: the one default, which scripts/test.sh asks for too.
DEFAULT_VERSIONS = ",".join(ALL_SERIES)


def selected_series() -> List[str]:
    raw = os.environ.get("OCIRT_CONTAINERD_VERSIONS", DEFAULT_VERSIONS)
    series = [v.strip() for v in raw.split(",") if v.strip()]
    bad = [v for v in series if v not in ALL_SERIES]
    if bad:
        raise pytest.UsageError(
            f"OCIRT_CONTAINERD_VERSIONS: unknown series {', '.join(bad)}; "
            f"allowed: {', '.join(ALL_SERIES)}"
        )
    return list(dict.fromkeys(series))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "containerd_series(*series): run only with these containerd series"
    )
    selected_series()  # fail early on a bad selection


@pytest.fixture(scope="session", params=selected_series(), ids=str)
def containerd(request: pytest.FixtureRequest) -> Iterator[ContainerdDaemon]:
    series = request.param
    ensure_containerd(series)
    with running(ContainerdDaemon(series)) as daemon:
        yield daemon


@pytest.fixture(scope="session", params=selected_series(), ids=str)
def containerd_netns(request: pytest.FixtureRequest) -> Iterator[ContainerdDaemon]:
    series = request.param
    ensure_containerd(series)
    netns = TestNetns()
    try:
        daemon = ContainerdDaemon(series, netns=netns.path)
        daemon.test_netns = netns  # type: ignore[attr-defined]
        with running(daemon):
            yield daemon
    finally:
        netns.close()


@pytest.fixture(autouse=True)
def _containerd_series_marker(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("containerd_series")
    daemon = next((f for f in ("containerd", "containerd_netns") if f in request.fixturenames), "")
    if marker is None or not daemon:
        return
    series = request.getfixturevalue(daemon).series
    if series not in marker.args:
        pytest.skip(f"not for containerd {series} (only {', '.join(marker.args)})")


@pytest.fixture
def containerd_namespace(containerd: ContainerdDaemon) -> Iterator[str]:
    ns = f"ocirt-test-{secrets.token_hex(4)}"
    yield ns
    containerd.cleanup_namespace(ns)


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    return CertificateAuthority(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="session")
def registry_http() -> Iterator[Registry]:
    reg = Registry().start()
    yield reg
    reg.stop()


@pytest.fixture(scope="session")
def registry_tls(test_ca: CertificateAuthority) -> Iterator[Registry]:
    reg = Registry(tls=True, ca=test_ca).start()
    yield reg
    reg.stop()


@pytest.fixture(scope="session")
def registry_auth(test_ca: CertificateAuthority) -> Iterator[Registry]:
    reg = Registry(tls=True, auth=True, ca=test_ca).start()
    yield reg
    reg.stop()


@pytest.fixture(scope="session")
def _busybox_session() -> Image:
    return busybox_image()


@pytest.fixture
def busybox(_busybox_session: Image) -> Image:
    return _busybox_session


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    funcargs = getattr(item, "funcargs", None) or {}
    seen = set()
    for value in funcargs.values():
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, ContainerdDaemon):
            rep.sections.append(
                (
                    f"containerd {value.version} log ({value.log_path}, last 40 lines)",
                    value.log_tail(40) or "(empty)",
                )
            )
        elif isinstance(value, Registry):
            rep.sections.append(
                (f"registry {value.url} log (last 20 lines)", value.log_tail(20) or "(empty)")
            )
