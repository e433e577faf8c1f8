"""Loopback under a proxy setting: the lessons' own ``requests.get`` must reach the demo server directly.

LoopLab's fetches never send loopback through a proxy (``proxy_for``, tested in test_fetch.py),
but a lesson's code calls requests as students write it, and requests reads the environment.
``exempt_loopback_from_proxies`` adds the loopback names to NO_PROXY when a proxy is set.
"""

from __future__ import annotations

import os

import pytest
import requests.utils

from app.core.net import LOOPBACK_NAMES, exempt_loopback_from_proxies

PROXY = "http://proxy.school.example:3128"
PROXY_NAMES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


def entries(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def test_without_a_proxy_the_environment_is_left_alone() -> None:
    environ = {"PATH": "/usr/bin", "HOME": "/home/teacher"}
    assert exempt_loopback_from_proxies(environ) is False
    assert environ == {"PATH": "/usr/bin", "HOME": "/home/teacher"}


def test_an_empty_proxy_setting_is_no_proxy() -> None:
    environ = {"HTTP_PROXY": "", "https_proxy": ""}
    assert exempt_loopback_from_proxies(environ) is False
    assert environ == {"HTTP_PROXY": "", "https_proxy": ""}


@pytest.mark.parametrize("name", PROXY_NAMES)
def test_any_proxy_setting_exempts_loopback_in_both_spellings_of_no_proxy(name: str) -> None:
    environ = {name: PROXY}
    assert exempt_loopback_from_proxies(environ) is True
    assert environ[name] == PROXY  # the proxy itself is kept for every other host
    for no_proxy in ("NO_PROXY", "no_proxy"):
        assert sorted(entries(environ[no_proxy])) == sorted(LOOPBACK_NAMES)
    assert set(LOOPBACK_NAMES) == {"127.0.0.1", "localhost", "::1"}


def test_existing_exemptions_are_kept_first_and_nothing_is_listed_twice() -> None:
    environ = {"HTTP_PROXY": PROXY, "NO_PROXY": "intranet.school, localhost ,.example.org", "no_proxy": "127.0.0.1"}
    assert exempt_loopback_from_proxies(environ) is True
    upper, lower = entries(environ["NO_PROXY"]), entries(environ["no_proxy"])
    assert upper[:3] == ["intranet.school", "localhost", ".example.org"]
    assert sorted(upper) == sorted(["intranet.school", ".example.org", *LOOPBACK_NAMES])
    assert lower[0] == "127.0.0.1"
    assert sorted(lower) == sorted(LOOPBACK_NAMES)
    assert len(upper) == len(set(upper)) and len(lower) == len(set(lower))


def test_a_no_proxy_that_already_exempts_loopback_is_not_changed() -> None:
    environ = {"https_proxy": PROXY, "NO_PROXY": "::1,localhost,127.0.0.1", "no_proxy": "localhost,127.0.0.1,::1,intranet"}
    before = dict(environ)
    assert exempt_loopback_from_proxies(environ) is False
    assert environ == before


def test_exempting_twice_changes_nothing_the_second_time() -> None:
    environ = {"HTTP_PROXY": PROXY, "NO_PROXY": "intranet.school"}
    assert exempt_loopback_from_proxies(environ) is True
    once = dict(environ)
    assert exempt_loopback_from_proxies(environ) is False
    assert environ == once


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/delay/1", "http://localhost:8080/get", "http://[::1]:8080/get"])
def test_requests_then_goes_to_the_demo_server_directly_and_elsewhere_through_the_proxy(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    # What a lesson's requests.get sees: the environment, read by requests itself.
    monkeypatch.setenv("HTTP_PROXY", PROXY)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)  # recorded by the setenv above, so any value set below is undone
    assert requests.utils.get_environ_proxies(url).get("http") == PROXY  # what a school's setting does
    assert exempt_loopback_from_proxies(os.environ) is True
    assert requests.utils.get_environ_proxies(url) == {}
    assert requests.utils.get_environ_proxies("http://example.com/").get("http") == PROXY
