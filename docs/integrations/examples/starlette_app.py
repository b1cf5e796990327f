"""A Starlette page that follows the reader's choice (docs/integrations/starlette.md)."""

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bandeau import Policy, PublicKey
from bandeau.middleware import BandeauMiddleware

PAGE = """<!doctype html>
<html lang="fr"><head><title>Article</title></head>
<body>
<h1>La Voie lyonnaise 7 ouvre</h1>
{comments}
<script src="http://localhost:8001/telegram-widget.js" async></script>
</body></html>"""


async def article(request: Request) -> HTMLResponse:
    consent = request.state.bandeau  # a bandeau.Consent
    if consent.allows("social"):
        comments = '<form method="post" action="/comments">…</form>'
    else:
        comments = "<p>Commenting needs the social networks purpose.</p>"
    response = HTMLResponse(PAGE.format(comments=comments))
    # An ad partner's cookie: bandeau drops this header unless "advertising" is allowed.
    response.set_cookie("_ad_id", "a1b2c3", max_age=13 * 30 * 86400)
    return response


def create_app(policy: Policy, public_key: PublicKey) -> Starlette:
    return Starlette(
        routes=[Route("/", article)],
        middleware=[
            Middleware(
                BandeauMiddleware,
                policy=policy,
                public_keys=public_key,
                rewrite_html=True,  # gate refused third-party <script src> / <iframe src>
            )
        ],
    )
