"""A Flask app whose templates and cookies follow the reader's choice
(docs/integrations/flask.md)."""

from flask import Flask, make_response, render_template_string, request
from flask.typing import ResponseReturnValue

from bandeau import Policy, PublicKey
from bandeau.middleware import BandeauWSGIMiddleware
from bandeau.middleware.jinja import install

ARTICLE = """<!doctype html>
<html lang="fr"><head><title>Article</title></head>
<body>
<h1>Le marché de la Croix-Rousse</h1>
{% if bandeau("social") %}<section id="comments">…</section>
{% else %}<p>Commenting needs the social networks purpose.</p>{% endif %}
<iframe src="http://localhost:8002/ad?slot=top" width="300" height="250"></iframe>
</body></html>"""


def create_app(policy: Policy, public_key: PublicKey) -> Flask:
    app = Flask(__name__)
    install(app.jinja_env)  # the `bandeau` global for templates

    @app.get("/")
    def article() -> ResponseReturnValue:
        response = make_response(render_template_string(ARTICLE))
        # Comment widget cookie: dropped unless "social" is allowed.
        response.set_cookie("_social_uid", "u-42")
        return response

    @app.get("/whoami")
    def whoami() -> ResponseReturnValue:
        consent = request.environ["bandeau.consent"]  # a bandeau.Consent
        return {"allowed": sorted(consent.allowed), "gpc": request.environ["bandeau.gpc"]}

    app.wsgi_app = BandeauWSGIMiddleware(  # type: ignore[method-assign]
        app.wsgi_app,
        policy=policy,
        public_keys=public_key,
        rewrite_html=True,  # gate refused third-party <script src> / <iframe src>
    )
    return app
