"""A one-file Django project whose templates and cookies follow the reader's choice
(docs/integrations/django.md). In a real project the settings live in settings.py and the
wrapping in wsgi.py / asgi.py."""

from typing import Any

import django
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path

from bandeau import Policy, PublicKey
from bandeau.middleware import BandeauMiddleware, BandeauWSGIMiddleware

ARTICLE = """<!doctype html>
<html lang="fr"><head><title>Article</title></head>
<body>
<h1>Le marché de la Croix-Rousse</h1>
{% if bandeau.social %}<section id="comments">…</section>
{% else %}<p>Commenting needs the social networks purpose.</p>{% endif %}
{% if bandeau.features.stats %}<script src="/static/stats.js"></script>{% endif %}
</body></html>"""


def article(request: HttpRequest) -> HttpResponse:
    response = render(request, "article.html")
    response.set_cookie("_ad_id", "a1b2c3")  # dropped unless "advertising" is allowed
    return response


def whoami(request: HttpRequest) -> JsonResponse:
    # WSGI: request.META is the environ; ASGI: the middleware's state is in request.scope.
    from bandeau.middleware import consent_view

    view = consent_view(request)
    return JsonResponse({"allowed": sorted(view.consent.allowed), "gpc": view.gpc})


urlpatterns = [path("", article), path("whoami", whoami)]


def configure() -> None:
    """The settings that matter: the context processor, and templates as usual."""
    if settings.configured:
        return
    settings.configure(
        DEBUG=False,
        SECRET_KEY="example-only",  # noqa: S106
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "OPTIONS": {
                    "context_processors": ["bandeau.middleware.django.consent"],
                    "loaders": [
                        ("django.template.loaders.locmem.Loader", {"article.html": ARTICLE})
                    ],
                },
            }
        ],
    )
    django.setup()


def create_wsgi_app(policy: Policy, public_key: PublicKey) -> Any:
    """wsgi.py: wrap Django's WSGI application."""
    configure()
    from django.core.wsgi import get_wsgi_application

    return BandeauWSGIMiddleware(get_wsgi_application(), policy=policy, public_keys=public_key)


def create_asgi_app(policy: Policy, public_key: PublicKey) -> Any:
    """asgi.py: wrap Django's ASGI application."""
    configure()
    from django.core.asgi import get_asgi_application

    return BandeauMiddleware(get_asgi_application(), policy=policy, public_keys=public_key)
