"""The OpenAPI document: FastAPI's, plus the decision route, which is a plain Starlette route
(the hot path skips FastAPI's dependency solving) described here from the same models."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from ..decisions import DecisionIn, DecisionOut
from .context import API, Context
from .edge import ERROR_RESPONSES, ErrorOut

__all__ = ["install_openapi"]


def _body(name: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def decide_operation() -> dict[str, Any]:
    """The OpenAPI operation of POST /v1/sites/{site}/decisions."""
    errors = {str(code): {"description": "error", **_body("ErrorOut")} for code in ERROR_RESPONSES}
    return {
        "tags": ["decisions"],
        "summary": "Record a decision",
        "description": "Record a reader's decision; answer once it is committed, with the "
        "signed token the banner stores as the consent cookie. A retry with the same decision "
        "`id` returns the stored decision (200) and stores nothing new.",
        "operationId": "decide",
        "parameters": [
            {"name": "site", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "requestBody": {"required": True, **_body("DecisionIn")},
        "responses": {
            "201": {"description": "recorded", **_body("DecisionOut")},
            "200": {"description": "a retry of a stored decision", **_body("DecisionOut")},
            **errors,
        },
    }


def state_the_constraints(schema: dict[str, Any], ctx: Context) -> None:
    """What the handlers check and FastAPI cannot see, written into every operation, so that
    a client (or a schema-based fuzzer) and the server agree: `site` is a path parameter, one
    of the configured sites; `lang` one of their languages; and every error is the JSON shape,
    whatever media type the route answers on success."""
    sites = sorted(ctx.sites)
    languages = sorted({lang for site in ctx.sites.values() for lang in site.policy.languages})
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            parameters = operation.setdefault("parameters", [])
            if "{site}" in path and not any(p["name"] == "site" for p in parameters):
                parameters.insert(0, {"name": "site", "in": "path", "required": True})
            for parameter in parameters:
                if parameter["name"] == "site":
                    parameter["schema"] = {"type": "string", "enum": sites}
                elif parameter["name"] == "lang":
                    parameter["schema"] = {"type": "string", "enum": languages}
            for status, response in operation.get("responses", {}).items():
                if status[0] in "45":
                    response["content"] = error


def install_openapi(app: FastAPI) -> None:
    """Serve the document built once, with the decision route and the models it names."""

    def document() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (DecisionIn, DecisionOut, ErrorOut):
            extra = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(extra.pop("$defs", {}))
            components[model.__name__] = extra
        decisions = schema["paths"].setdefault(f"{API}/sites/{{site}}/decisions", {})
        decisions["post"] = decide_operation()
        state_the_constraints(schema, app.state.bandeau)
        app.openapi_schema = schema
        return schema

    app.openapi = document  # type: ignore[method-assign]
