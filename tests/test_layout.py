"""The layout holds: each app owns its pages and API, the shell (web/, api/) holds none,
and domain apps reach each other only through services and selectors.

The layers themselves are checked by import-linter (`lint-imports` in `make test`, contracts
in pyproject.toml); these tests check what a layer contract cannot say.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import grimp
import pytest
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[1]
SHELL_PAGES = {"home", "login", "logout", "set_language", "otp_verify", "otp_setup",
               "choose_membership"}
SHARED_RECORD = {"core", "orgs", "people", "access", "audit"}


def contracts() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]["contracts"]


def domain_layer() -> list[str]:
    """The domain apps named in the layers contract (optional ones in parentheses)."""
    layers = next(c for c in contracts() if c["type"] == "layers")["layers"]
    domains = next(layer for layer in layers if "(" in layer)
    return [name.strip(" ()") for name in domains.split("|")]


def walk(patterns: list, prefix: str = ""):  # noqa: ANN201
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def test_the_web_shell_serves_only_its_own_pages() -> None:
    offenders = []
    for route, pattern in walk(get_resolver().url_patterns):
        module = getattr(pattern.callback, "__module__", "")
        if module.startswith("careweave.web") and pattern.name not in SHELL_PAGES:
            offenders.append((route, pattern.name))
    assert offenders == [], f"domain pages in careweave/web/: {offenders}"


def test_every_page_lives_in_the_app_whose_namespace_it_has() -> None:
    checked = 0
    for route, pattern in walk(get_resolver().url_patterns):
        module = getattr(pattern.callback, "__module__", "")
        if not module.startswith("careweave.") or module.startswith("careweave.api"):
            continue
        app = module.split(".")[1]
        resolved = get_resolver().resolve("/" + _sample(route))
        if resolved.namespace == "admin":
            continue  # Django's admin: its site (careweave.core.adminsite), not an app's page
        assert resolved.namespace == app, (route, module, resolved.namespace)
        checked += 1
    assert checked >= 20


def _sample(route: str) -> str:
    import re
    import uuid

    return re.sub(r"<(?:(\w+):)?\w+>",
                  lambda m: "1" if m.group(1) == "int" else str(uuid.uuid4()), route)


def test_the_api_shell_has_no_endpoints_of_its_own() -> None:
    from careweave.api.api import api

    modules = {}
    for _prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                modules[(path, tuple(operation.methods))] = operation.view_func.__module__
    assert len(modules) >= 14
    in_shell = {k: m for k, m in modules.items() if m.startswith("careweave.api")}
    assert in_shell == {}, f"endpoints in careweave/api/: {in_shell}"
    # and each lives in an app's api module
    assert all(m.startswith("careweave.") and m.endswith(".api") for m in modules.values())


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("careweave", exclude_type_checking_imports=True)


def test_shared_record_imports_no_domain_app(graph: grimp.ImportGraph) -> None:
    domains = [d for d in domain_layer() if f"careweave.{d}" in graph.modules]
    for inner in SHARED_RECORD:
        for domain in domains:
            chains = graph.find_shortest_chains(importer=f"careweave.{inner}",
                                                imported=f"careweave.{domain}")
            assert not chains, (inner, domain, chains)


def cross_domain_offenders(graph: grimp.ImportGraph, domains: list[str]) -> list[tuple]:
    """Imports from one domain app into another that go past its services and selectors."""
    offenders = []
    for importer in domains:
        for module in graph.find_descendants(f"careweave.{importer}") | {f"careweave.{importer}"}:
            for imported in graph.find_modules_directly_imported_by(module):
                parts = imported.split(".")
                if len(parts) < 2 or parts[0] != "careweave" or parts[1] == importer:
                    continue
                if parts[1] in domains and parts[2:3] not in (["services"], ["selectors"]):
                    offenders.append((module, imported))
    return offenders


def test_domain_apps_use_each_other_only_through_services_and_selectors(
    graph: grimp.ImportGraph,
) -> None:
    domains = [d for d in domain_layer() if f"careweave.{d}" in graph.modules]
    assert cross_domain_offenders(graph, domains) == []


def test_the_domain_rule_catches_a_model_import() -> None:
    """The rule above, on a graph that breaks it: it must fail there."""
    fake = grimp.ImportGraph()
    for name in ("careweave.plans", "careweave.plans.views", "careweave.work",
                 "careweave.work.models", "careweave.work.services"):
        fake.add_module(name)
    fake.add_import(importer="careweave.plans.views", imported="careweave.work.models")
    fake.add_import(importer="careweave.plans.views", imported="careweave.work.services")
    assert cross_domain_offenders(fake, ["plans", "work"]) == [
        ("careweave.plans.views", "careweave.work.models")]


def test_each_app_keeps_its_templates_in_its_own_folder() -> None:
    for app in ("people", "access", "audit", "web"):
        folder = ROOT / "careweave" / app / "templates" / app
        assert folder.is_dir() and any(folder.rglob("*.html")), app
    shared = ROOT / "careweave" / "templates"
    assert not (shared / "web").exists()
    assert {p.name for p in shared.iterdir() if p.is_dir()} == {"includes"}
