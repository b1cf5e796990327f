"""The `bandeau` command. Every failure is one clear message on stderr and a non-zero exit."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from . import __version__
from .errors import BandeauError
from .settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


def settings_options(func: F) -> F:
    """One click option per Settings field: flags, env variables and arguments stay one set."""
    for name, field in reversed(Settings.model_fields.items()):
        flag = "--" + name.replace("_", "-")
        help_text = f"{field.description} [env BANDEAU_{name.upper()}]"
        if name == "policy":
            option = click.option(
                flag, name, multiple=True, type=click.Path(path_type=Path), help=help_text
            )
        else:
            kind: Any = click.Path(path_type=Path) if field.annotation is Path else str
            if field.annotation is int:
                kind = int
            option = click.option(flag, name, type=kind, default=None, help=help_text)
        func = option(func)
    return func


def make_settings(given: dict[str, Any]) -> Settings:
    """Settings from the flags actually given; the rest from BANDEAU_* or the defaults."""
    chosen = {k: v for k, v in given.items() if v not in (None, ())}
    try:
        return Settings(**chosen)
    except ValidationError as e:
        first = e.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "settings"
        flag = "--" + name.replace("_", "-")
        raise click.UsageError(
            f"setting {name} ({flag} or BANDEAU_{name.upper()}): {first['msg']}"
        ) from e


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bandeau")
def cli() -> None:
    """bandeau: consent banner, decisions with proof, server-side enforcement."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=int,
    help="port of the article; the fake third parties use the next two ports",
)
@click.option(
    "--data-dir",
    default=Path("bandeau-data"),
    show_default=True,
    type=click.Path(path_type=Path),
    help="where the demo keeps its database and keys",
)
def demo(host: str, port: int, data_dir: Path) -> None:
    """Run the demo news site with its banner on the embedded SQLite store."""
    from .demo import serve_demo

    click.echo(
        f"bandeau {__version__} demo: article at http://{host}:{port}/ "
        f"(English: http://{host}:{port}/en/)"
    )
    click.echo(
        f"  fake third parties on http://localhost:{port + 1} and http://localhost:{port + 2}"
    )
    click.echo(f"  decisions stored in {data_dir / 'bandeau.db'}; press Ctrl+C to stop")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_demo(host, port, data_dir))


@cli.command()
@settings_options
def serve(**given: Any) -> None:
    """Serve the banner and the decision API for one or more policy files."""
    import uvicorn

    from .keys import KeyRing
    from .policy import load_policy
    from .server import create_app
    from .store import open_store

    settings = make_settings(given)
    if not settings.policy:
        raise click.UsageError("give at least one --policy FILE (or BANDEAU_POLICY)")
    policies = [load_policy(p) for p in settings.policy]
    app = create_app(
        settings,
        policies,
        keys=KeyRing.open(settings.keys_dir),
        store=open_store(settings.database_url),
    )
    for p in policies:
        click.echo(f"site {p.site}: {settings.base_url}/v1/sites/{p.site}/banner.js")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


@cli.command()
@click.argument("policy", nargs=-1, required=True, type=click.Path(path_type=Path))
def check(policy: tuple[Path, ...]) -> None:
    """Validate policy files and print each purpose with its version digest."""
    from .policy import load_policy

    for path in policy:
        p = load_policy(path)
        click.echo(
            f"{path}: site {p.site}, version {p.version}, languages "
            f"{', '.join(p.languages)}, re-ask after {p.reprompt_after_days} days"
        )
        for purpose in p.purposes:
            services = ", ".join(s.name for s in purpose.services) or "no service"
            click.echo(f"  {purpose.key:<16} {purpose.kind:<28} {purpose.digest}  {services}")


@cli.command()
@click.argument("policy", type=click.Path(path_type=Path))
@click.option(
    "--url",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="public URL of the bandeau server",
)
def snippet(policy: Path, url: str) -> None:
    """Print the HTML to paste into the site's pages."""
    from .policy import load_policy

    p = load_policy(policy)
    api = f"{url.rstrip('/')}/v1/sites/{p.site}"
    click.echo("<!-- in <head> -->")
    click.echo(f'<link rel="stylesheet" href="{api}/banner.css?v={p.version}">')
    click.echo('<!-- first thing in <body> (add nonce="…" under a nonce-based CSP) -->')
    click.echo(f'<script src="{api}/banner.js?v={p.version}"></script>')
    click.echo("<!-- anywhere, e.g. in the footer: the persistent entry -->")
    label = p.ui_texts(p.default_language)["manage"]
    click.echo(f'<a href="#" data-bandeau-open>{label}</a>')


@cli.group()
def keys() -> None:
    """Show or rotate the server's Ed25519 signing key."""


@keys.command("show")
@click.option(
    "--data-dir", default=Path("bandeau-data"), show_default=True, type=click.Path(path_type=Path)
)
def keys_show(data_dir: Path) -> None:
    """Print the current public key (PEM) and the ids of all keys."""
    from .keys import KeyRing

    ring = KeyRing.open(data_dir / "keys")
    click.echo(f"current key id: {ring.current.key_id}")
    click.echo(ring.current.pem().rstrip())
    for kid in sorted(ring.public):
        if kid != ring.current.key_id:
            click.echo(f"older key id: {kid}")


@keys.command("rotate")
@click.option(
    "--data-dir", default=Path("bandeau-data"), show_default=True, type=click.Path(path_type=Path)
)
def keys_rotate(data_dir: Path) -> None:
    """Make a new signing key; tokens signed by older keys still verify."""
    from .keys import KeyRing

    ring = KeyRing.rotate(data_dir / "keys")
    click.echo(f"new current key id: {ring.current.key_id}")


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="bandeau", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("bandeau: aborted", err=True)
        sys.exit(1)
    except click.ClickException as e:
        click.echo(f"bandeau: error: {e.format_message()}", err=True)
        sys.exit(e.exit_code)
    except BandeauError as e:
        click.echo(f"bandeau: error: {e}", err=True)
        sys.exit(1)
    except OSError as e:
        click.echo(f"bandeau: error: {e}", err=True)
        sys.exit(1)
