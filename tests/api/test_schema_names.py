"""Every schema the API describes as a component has a name of its own. The OpenAPI description keys its
components by class name, so two routers' ``ReviewOut`` (say) would silently become one,
and answers would be checked against the wrong shape."""

from __future__ import annotations

import importlib
import pkgutil

from ninja import Schema

import careweave


def test_schema_class_names_are_unique() -> None:
    from careweave.api.api import api

    components = set(api.get_openapi_schema()["components"]["schemas"])
    for module in pkgutil.walk_packages(careweave.__path__, "careweave."):
        if module.name.rsplit(".", 1)[-1] in ("api", "schemas"):
            importlib.import_module(module.name)
    seen: dict[str, str] = {}
    clashes = []

    def walk(cls: type) -> None:
        for sub in cls.__subclasses__():
            # Query schemas are flattened into parameters (ninja lists an unused component
            # for them): only bodies and answers can be checked against the wrong shape.
            if sub.__module__.startswith("careweave.") and sub.__name__ in components \
                    and not sub.__name__.endswith("Query"):
                where = f"{sub.__module__}.{sub.__qualname__}"
                if sub.__name__ in seen and seen[sub.__name__] != where:
                    clashes.append((sub.__name__, seen[sub.__name__], where))
                seen.setdefault(sub.__name__, where)
            walk(sub)

    walk(Schema)
    assert clashes == []
