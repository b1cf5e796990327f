"""A FastAPI app with Jinja2 templates that follow the reader's choice
(docs/integrations/fastapi.md)."""

from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from jinja2 import DictLoader, Environment, select_autoescape

from bandeau import Consent, Policy, PublicKey
from bandeau.middleware import BandeauMiddleware
from bandeau.middleware.jinja import install

TEMPLATES = {
    "article.html": """<!doctype html>
<html lang="fr"><head><title>{{ title }}</title></head>
<body>
<h1>{{ title }}</h1>
{% if bandeau("social") %}<section id="comments">…</section>
{% else %}<p>Commenting needs the social networks purpose.</p>{% endif %}
{% if bandeau().features.stats %}<script src="/static/stats.js"></script>{% endif %}
</body></html>""",
}

templates = Jinja2Templates(
    env=Environment(loader=DictLoader(TEMPLATES), autoescape=select_autoescape())
)
install(templates.env)  # the `bandeau` global


def consent(request: Request) -> Consent:
    return request.state.bandeau  # type: ignore[no-any-return]


def create_app(policy: Policy, public_key: PublicKey) -> FastAPI:
    app = FastAPI()
    app.add_middleware(BandeauMiddleware, policy=policy, public_keys=public_key)

    @app.get("/", response_class=HTMLResponse)
    def article(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "article.html", {"title": "Marché"})

    @app.get("/api/recommendations")
    def recommendations(reader: Annotated[Consent, Depends(consent)]) -> JSONResponse:
        personalised = reader.allows("advertising")
        response = JSONResponse({"personalised": personalised})
        response.set_cookie("_ad_id", "a1b2c3")  # dropped unless "advertising" is allowed
        return response

    return app
