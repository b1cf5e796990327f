"""The `bandeau` command. Every failure is one clear message on stderr and a non-zero exit."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click
from pydantic import ValidationError

from . import __version__
from .errors import BandeauError
from .settings import Settings

if TYPE_CHECKING:
    from .keys import KeyRing
    from .ledger import VerifyReport
    from .store import Store

F = TypeVar("F", bound=Callable[..., Any])


def setting_option(name: str, help_text: str = "") -> Callable[[F], F]:
    """The click option of one Settings field: `--name-with-dashes`, no default of its own (the
    default comes from BANDEAU_NAME or the field, through `make_settings`)."""
    field = Settings.model_fields[name]
    flag = "--" + name.replace("_", "-")
    help_text = f"{help_text or field.description} [env BANDEAU_{name.upper()}]"
    if name == "policy":
        return click.option(
            flag, name, multiple=True, type=click.Path(path_type=Path), help=help_text
        )
    kind: Any = click.Path(path_type=Path) if field.annotation is Path else str
    if field.annotation in (int, float):
        kind = field.annotation
    return click.option(flag, name, type=kind, default=None, help=help_text)


def settings_options(func: F) -> F:
    """One click option per Settings field: flags, env variables and arguments stay one set."""
    for name in reversed(Settings.model_fields):
        func = setting_option(name)(func)
    return func


def data_dir_option(func: F) -> F:
    """--data-dir, as `bandeau serve` takes it (the keys live in DATA_DIR/keys)."""
    return setting_option("data_dir")(func)


def store_options(func: F) -> F:
    """--data-dir and --database, as `bandeau serve` takes them."""
    return data_dir_option(setting_option("database")(func))


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
@setting_option("host")
@setting_option(
    "port",
    "port of the article; the fake third parties use the next two ports, the group's second "
    "site the one after",
)
@setting_option("data_dir", "where the demo keeps its database and keys")
@click.option(
    "--tcf", is_flag=True, help="TCF mode: IAB TCF v2.3, Google Consent Mode v2, GPP (docs/tcf.md)"
)
@click.option(
    "--vendor-list",
    metavar="WHERE",
    default=None,
    help="the Global Vendor List of the TCF mode: a file (PATH#key picks a key of a JSON "
    "file) or a URL, e.g. the test list ../shared/tcf/vectors.json#gvlFixture",
)
@click.option(
    "--translations",
    metavar="WHERE",
    default="",
    help="the IAB's translations of the purposes, {lang} for the language, e.g. bandeau's "
    "French test one tests/tcf/fixtures/purposes-{lang}.json; default: purposes-{lang}.json "
    "beside the vendor list",
)
def demo(tcf: bool, vendor_list: str | None, translations: str, **given: Any) -> None:
    """Run the demo news group's two sites with their banners on the embedded SQLite store."""
    from .demo import second_host, serve_demo

    if tcf and not vendor_list:
        raise click.UsageError(
            "--tcf needs --vendor-list: a Global Vendor List file or URL, e.g. the test list "
            "../shared/tcf/vectors.json#gvlFixture (docs/tcf.md)"
        )
    settings = make_settings(given)
    host, port, data_dir = settings.host, settings.port, settings.data_dir
    if translations and not translations.startswith(("https://", "http://")):
        translations = str(Path(translations).resolve())  # the demo runs from anywhere
    click.echo(
        f"bandeau {__version__} demo: article at http://{host}:{port}/ "
        f"(English: http://{host}:{port}/en/, Deutsch: http://{host}:{port}/de/)"
    )
    click.echo(
        f"  the group's second site at http://{second_host(host)}:{port + 3}/, "
        "served by the same bandeau server and store"
    )
    click.echo(
        f"  fake third parties on http://localhost:{port + 1} and http://localhost:{port + 2}"
    )
    if tcf and vendor_list:
        click.echo(f"  TCF mode with the fake CMP id 999, vendor list {vendor_list}")
    click.echo(f"  decisions stored in {data_dir / 'bandeau.db'}; press Ctrl+C to stop")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve_demo(
                host, port, data_dir, vendor_list if tcf and vendor_list else "", translations
            )
        )


@cli.command()
@settings_options
def serve(**given: Any) -> None:
    """Serve the banner and the decision API for one or more policy files."""
    from .keys import KeyRing, site_folder
    from .policy import load_policy
    from .store import open_store

    settings = make_settings(given)
    if not settings.policy:
        raise click.UsageError("give at least one --policy FILE (or BANDEAU_POLICY)")
    policies = [load_policy(p) for p in settings.policy]  # fail here, before any worker starts
    KeyRing.open_or_create(settings.keys_dir)  # the first keys and the schema exist before
    for p in policies:  # the workers race to open them; each site signs with its own keys
        KeyRing.open_or_create(site_folder(settings.keys_dir, p.site))
    open_store(settings.database_url).close()
    for p in policies:
        click.echo(f"site {p.site}: {settings.base_url}/v1/sites/{p.site}/banner.js")
    run_workers(settings)


def run_workers(settings: Settings) -> None:
    """Serve `app_from_settings(settings)` in `settings.workers` processes.

    Each worker gets the validated Settings object itself: uvicorn pickles its Config, and with
    it the app factory (a `functools.partial` holding the settings), into every worker it
    spawns. Nothing passes through environment variables, so a worker cannot read settings
    other than the ones checked here. uvicorn's own proxy-header handling is off: which peers
    may name the client in X-Forwarded-For is bandeau's `trusted_proxies` setting alone."""
    import functools

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from .server import app_from_settings
    from .server.app import log_config
    from .server.timeouts import protocol_for

    config = uvicorn.Config(
        functools.partial(app_from_settings, settings),
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        http=protocol_for(settings),
        # a stalled client cannot hold shutdown: its deadlines end it before this does
        timeout_graceful_shutdown=int(settings.header_timeout + settings.body_timeout) + 30,
        proxy_headers=False,
        log_config=log_config(settings.log_level),
        log_level=settings.log_level,
        access_log=False,
    )
    if settings.workers == 1:
        uvicorn.Server(config).run()
        return
    sock = config.bind_socket()
    try:
        Multiprocess(config, sockets=[sock]).run()
    finally:
        sock.close()


@cli.command()
@click.argument("policy", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--draft",
    metavar="LANG",
    default=None,
    help="print the TOML skeleton of the texts LANG still lacks in POLICY, to fill in",
)
@click.option(
    "--self-assessment",
    "self_assessment",
    is_flag=True,
    help="print the self-assessment of each exempt audience measurement purpose (AM-06)",
)
def check(policy: tuple[Path, ...], draft: str | None, self_assessment: bool) -> None:
    """Validate policy files and print each purpose with its version digest. Every text a
    declared language lacks is one line naming file, line and field."""
    from .measurement import self_assessment as assessment
    from .policy import load_policy

    if draft is not None:
        _print_drafts(policy, draft)
        return
    if self_assessment:
        for path in policy:
            click.echo(assessment(load_policy(path), str(path)))
        return
    for path in policy:
        p = load_policy(path)
        _check_tcf(path, p)
        click.echo(
            f"{path}: site {p.site}, version {p.version}, languages "
            f"{', '.join(p.languages)}, re-ask after {p.reprompt_after_days} days"
        )
        for purpose in p.purposes:
            services = ", ".join(s.name for s in purpose.services) or "no service"
            click.echo(f"  {purpose.key:<16} {purpose.kind:<28} {purpose.digest}  {services}")


def _check_tcf(path: Path, policy: Any) -> None:
    """A `[tcf]` section checked against its vendor list and translations, as `serve` would
    (docs/tcf.md): each problem one line naming the policy file and the field."""
    from .tcf.publisher import tcf_problems

    problems = tcf_problems(policy)
    if problems:
        raise click.ClickException("\n".join(f"{path}: {problem}" for problem in problems))


def _print_drafts(policy: tuple[Path, ...], lang: str) -> None:
    """`check --draft LANG`: the skeleton for each file, read as written (it need not be valid
    yet: a language half translated is what a draft is for)."""
    import tomllib

    from .languages import draft
    from .policy import LANG_RE, read_policy_text

    if not LANG_RE.fullmatch(lang):
        raise click.UsageError(f'--draft {lang!r} is not a language code such as "de"')
    for path in policy:
        text = read_policy_text(path)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise BandeauError(f"{path}: not valid TOML: {e}") from e
        click.echo(draft(text, data, str(path), lang), nl=False)


@cli.command()
@click.argument("policy", type=click.Path(path_type=Path))
@click.option(
    "--url",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="public URL of the bandeau server",
)
@click.option("--lang", default=None, help="language of the pages (default: the policy's)")
def snippet(policy: Path, url: str, lang: str | None) -> None:
    """Print the HTML to paste into the site's pages."""
    from .banner.config import asset_version
    from .policy import load_policy

    p = load_policy(policy)
    if lang is not None and lang not in p.languages:
        raise click.UsageError(f"--lang {lang} is not one of the policy's {list(p.languages)}")
    lang = lang or p.default_language
    api = f"{url.rstrip('/')}/v1/sites/{p.site}"
    v = asset_version(p)
    script = f"{api}/banner.js?lang={lang}&amp;v={v}"
    click.echo("<!-- in <head>: fetched at once, blocks nothing (the script has its styles) -->")
    click.echo(f'<link rel="preload" as="script" href="{script}">')
    click.echo("<!-- last thing in <body>; under a nonce-based CSP, give it and the preload -->")
    click.echo("<!-- the page's nonce -->")
    click.echo(f'<script src="{script}"></script>')
    click.echo("<!-- anywhere, e.g. in the footer: the persistent entry -->")
    label = p.ui_texts(lang)["manage"]
    click.echo(f'<a href="#" data-bandeau-open>{label}</a>')


def open_keys(settings: Settings) -> KeyRing:
    """The server's existing key ring in DATA_DIR/keys; an error, not a new key, when absent."""
    from .keys import KeyRing

    return KeyRing.open(settings.keys_dir)


def open_existing_store(settings: Settings) -> Store:
    """The store `bandeau serve` records into, as the same settings name it.

    A missing SQLite file is an error: opening it would create an empty log in the wrong
    folder and report on that instead of the server's."""
    from .store import open_store

    url = settings.database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise BandeauError(
            f"no database at {url.removeprefix('sqlite:///')}",
            hint="check --data-dir (BANDEAU_DATA_DIR) or --database (BANDEAU_DATABASE): "
            "`bandeau serve` creates the database on that folder",
        )
    return open_store(url)


def settings_of(data_dir: Path | None, database: str | None = None) -> Settings:
    return make_settings({"data_dir": data_dir, "database": database})


@cli.command()
@store_options
@click.option(
    "--public-key",
    "public_key",
    type=click.Path(path_type=Path),
    default=None,
    help="verify checkpoints with this key only (PEM or base64), not the key folder",
)
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=None,
    help="processes that rehash the log in parallel [default: the number of CPUs]",
)
@click.option(
    "--checkpoints",
    "published",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="also check the log against these checkpoints, published outside the database "
    "(the file checkpoint_log writes: one JSON checkpoint a line)",
)
def verify(
    data_dir: Path | None,
    database: str | None,
    public_key: Path | None,
    processes: int | None,
    published: Path | None,
) -> None:
    """Recompute the whole decision log and check every signed checkpoint.

    Exits 1 and names the first bad index when a record was modified, deleted, inserted or
    reordered, or a checkpoint forged."""
    import time

    from .keys import PublicKey
    from .ledger import CheckpointLog, verify_log

    settings = settings_of(data_dir, database)
    if public_key is not None:
        key = PublicKey.from_text(public_key.read_text())
        public = {key.key_id: key}
    else:
        public = open_keys(settings).public
    outside = CheckpointLog(published).read() if published is not None else []
    store = open_existing_store(settings)
    started = time.perf_counter()
    import os

    report = verify_log(
        store, public, processes=processes or os.cpu_count() or 1, published=outside
    )
    elapsed = time.perf_counter() - started
    store.close()
    if published is not None:
        click.echo(f"{len(outside)} published checkpoints read from {published}")
    show_report(report, elapsed)


def show_report(report: VerifyReport, elapsed: float) -> None:
    """What `bandeau verify` found: counts, redactions, findings; an error when any."""
    rate = report.size / elapsed if elapsed else 0.0
    click.echo(
        f"{report.size} records, {report.checkpoints} checkpoints, "
        f"{len(report.redacted)} redacted, checked in {elapsed:.2f} s ({rate:,.0f} records/s)"
    )
    for index in report.redacted[:20]:
        click.echo(f"  index {index}: redacted (content erased, leaf hash kept)")
    if not report.ok:
        for finding in report.findings:
            click.echo(f"  {finding}", err=True)
        raise BandeauError(
            f"the log does not verify: first bad index {report.first_bad_index}"
            if report.first_bad_index is not None
            else "the log does not verify"
        )
    click.echo("the log verifies")


@cli.command("verify-receipt")
@click.argument("receipt", type=click.Path(path_type=Path))
@click.option(
    "--public-key",
    "public_key",
    required=True,
    type=click.Path(path_type=Path),
    help="the site's public key (`bandeau keys show --site SITE`): PEM, or base64 of the 32 "
    "raw bytes",
)
def verify_receipt_cmd(receipt: Path, public_key: Path) -> None:
    """Check a decision receipt offline, with the public key alone."""

    from .errors import SettingsError
    from .keys import PublicKey
    from .ledger import ReceiptError, verify_receipt
    from .receipts import read_receipt_json

    try:
        key = PublicKey.from_text(public_key.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise SettingsError(f"{public_key} is not a public key (not UTF-8 text)") from None
    try:
        data = read_receipt_json(receipt.read_bytes())
    except ValueError as e:  # hostile or broken input: one line, no traceback
        raise ReceiptError(f"{receipt}: {e}") from None
    if not isinstance(data, dict):
        raise ReceiptError(f"{receipt} is not a receipt (a JSON object)")
    record = verify_receipt(data, {key.key_id: key})
    choices = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in sorted(record.choices.items()))
    click.echo(
        f"valid: decision {record.decision_id} ({record.event}) of site {record.site} at index "
        f"{data['index']}, in the log signed at size {data['checkpoint']['size']} by key "
        f"{key.key_id}; choices: {choices}"
    )


@cli.command()
@store_options
@setting_option("checkpoint_log")
def checkpoint(data_dir: Path | None, database: str | None, checkpoint_log: str | None) -> None:
    """Sign a checkpoint of the decision log now, once the records since the latest check out.

    Refuses (exit 1, saying where) when they do not: see docs/ledger.md."""
    from .ledger import Ledger

    settings = make_settings(
        {"data_dir": data_dir, "database": database, "checkpoint_log": checkpoint_log}
    )
    ring = open_keys(settings)
    store = open_existing_store(settings)
    try:
        cp = Ledger(store, ring, published=settings.checkpoint_log).checkpoint()
    finally:
        store.close()
    if cp is None:
        raise BandeauError("the log is empty: there is nothing to checkpoint")
    click.echo(f"checkpoint: size {cp.size}, key {cp.key_id}, time {cp.time}")


@cli.command()
@store_options
@click.argument("site")
@click.argument("consent_id")
def export(data_dir: Path | None, database: str | None, site: str, consent_id: str) -> None:
    """Print every decision of a consent id as JSON (right of access), with the notices they
    answered."""
    import json

    store = open_existing_store(settings_of(data_dir, database))
    records = store.history(site, consent_id)
    if not records:
        store.close()
        raise BandeauError(f"no decision is recorded under consent id {consent_id!r} on {site}")
    named = sorted({r.notice for r in records if r.notice})
    shown = {n: store.notice(site, n) for n in named}
    store.close()
    out = {
        "site": site,
        "consent_id": consent_id,
        "decisions": [r.content() for r in records],
        # the notices those decisions answered, as archived (PROOF-02)
        "notices": {n: json.loads(found.content) for n, found in shown.items() if found},
    }
    click.echo(json.dumps(out, ensure_ascii=False, indent=2))


@cli.command()
@store_options
@click.argument("site")
def notices(data_dir: Path | None, database: str | None, site: str) -> None:
    """List the notices archived for SITE: id, language, first and last decision answered
    under it, and how many (PROOF-02). `GET /v1/sites/SITE/notices/ID` shows one."""
    import datetime

    store = open_existing_store(settings_of(data_dir, database))
    try:
        found = store.notices(site)
    finally:
        store.close()
    if not found:
        raise BandeauError(
            f"no notice is archived for site {site!r}",
            hint="`bandeau serve` archives a site's notices when it starts",
        )

    def when(ms: int | None) -> str:
        if ms is None:
            return "-"
        moment = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    click.echo(f"{'notice':<64}  lang  {'first used':<20}  {'last used':<20}  decisions")
    for n in found:
        click.echo(
            f"{n.id}  {n.language:<4}  {when(n.first_used):<20}  {when(n.last_used):<20}  "
            f"{n.decisions}"
        )


@cli.command()
@store_options
@click.argument("site")
@click.argument("consent_id")
def erase(data_dir: Path | None, database: str | None, site: str, consent_id: str) -> None:
    """Erase a consent id's decisions: content redacted, leaf hashes kept (right to erasure)."""
    from .ledger import Ledger

    store = open_existing_store(settings_of(data_dir, database))
    n = Ledger(store).erase(site, consent_id)
    store.close()
    if n == 0:
        raise BandeauError(f"no decision is recorded under consent id {consent_id!r} on {site}")
    click.echo(f"erased {n} decision(s); the log still verifies")


@cli.command()
@store_options
@click.option("--older-than", "days", type=int, required=True, help="age in days")
def purge(data_dir: Path | None, database: str | None, days: int) -> None:
    """Redact every decision older than a number of days (retention, PROOF-03)."""
    from .ledger import Ledger

    if days < 1:
        raise click.UsageError("--older-than must be at least 1 day")
    store = open_existing_store(settings_of(data_dir, database))
    n = Ledger(store).apply_retention(days)
    store.close()
    click.echo(f"redacted {n} decision(s) older than {days} days")


@cli.group()
def keys() -> None:
    """Show or rotate the server's Ed25519 signing keys (the log's, or a site's)."""


SITE_OPTION = click.option(
    "--site",
    default=None,
    metavar="SITE",
    help="the ring of this site (its tokens and receipts), not the log's (its checkpoints)",
)


def ring_folder(data_dir: Path | None, site: str | None) -> Path:
    """The log's key folder, or with `site` that site's (`keys.site_folder`)."""
    from .keys import site_folder

    folder = settings_of(data_dir).keys_dir
    return folder if site is None else site_folder(folder, site)


@keys.command("show")
@data_dir_option
@SITE_OPTION
def keys_show(data_dir: Path | None, site: str | None) -> None:
    """Print the current public key (PEM) and the ids of all keys: the log's, or a site's."""
    from .keys import KeyRing

    ring = KeyRing.open(ring_folder(data_dir, site))
    click.echo(f"current key id: {ring.current.key_id}")
    click.echo(ring.current.pem().rstrip())
    for kid in sorted(ring.public):
        if kid != ring.current.key_id:
            click.echo(f"older key id: {kid}")


@keys.command("rotate")
@data_dir_option
@SITE_OPTION
def keys_rotate(data_dir: Path | None, site: str | None) -> None:
    """Make a new signing key; what older keys signed still verifies.

    Only in an existing key folder: the first key is made by `bandeau serve`."""
    from .keys import KeyRing

    ring = KeyRing.rotate(ring_folder(data_dir, site))
    click.echo(f"new current key id: {ring.current.key_id}")


@cli.group()
def tcf() -> None:
    """Decode, encode and check IAB TCF v2.3 TC strings (docs/tcf.md)."""


@tcf.command("decode")
@click.argument("tc_string")
def tcf_decode(tc_string: str) -> None:
    """Print the model of TC_STRING as JSON (the field names of @iabtcf/core's TCModel)."""
    import json

    from .tcf import decode, model_to_json

    click.echo(json.dumps(model_to_json(decode(tc_string)), indent=2))


@tcf.command("encode")
@click.argument("model_file", type=click.File("r", encoding="utf-8"), default="-")
@click.option(
    "--allow-invalid",
    is_flag=True,
    help="write the string even if the model breaks a TCF rule (for test strings only)",
)
def tcf_encode(model_file: TextIO, allow_invalid: bool) -> None:
    """Print the TC string of a model given as JSON in MODEL_FILE (default: standard input).

    The model must follow the TCF's rules (those `bandeau tcf validate` checks) unless
    --allow-invalid is given."""
    import json

    from .tcf import encode, model_from_json, validate

    try:
        data = json.loads(model_file.read())
    except json.JSONDecodeError as e:
        raise BandeauError(f"the model is not JSON: {e}") from e
    model = model_from_json(data)
    click.echo(encode(model if allow_invalid else validate(model)))


@tcf.command("validate")
@click.argument("tc_string")
def tcf_validate(tc_string: str) -> None:
    """Check TC_STRING against the TCF's rules: print each rule it breaks and exit 1."""
    from .tcf import decode, violations

    found = violations(decode(tc_string))
    for v in found:
        click.echo(str(v))
    if found:
        sys.exit(1)
    click.echo("valid: no TCF rule broken")


# long: one click option per flag of the documented command (docs/scanner.md); the work is in
# bandeau.scanner.command
@cli.command()
@click.argument("urls", nargs=-1, required=True, metavar="URL [URL...]")
@click.option("--json", "json_file", type=click.Path(path_type=Path), help="write the JSON report")
@click.option("--html", "html_file", type=click.Path(path_type=Path), help="write the HTML report")
@click.option(
    "--fail-on",
    type=click.Choice(["high", "medium", "low"]),
    default="high",
    show_default=True,
    help="exit 1 when a finding is this severe or more",
)
@click.option(
    "--max-pages",
    type=click.IntRange(1, 500),
    default=1,
    show_default=True,
    help="pages per URL: the URL, then same-site links found on it",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 16),
    default=2,
    show_default=True,
    help="phases at once, each in a profile of its own",
)
@click.option(
    "--cookie-db",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="a copy of the Open Cookie Database (CSV) to classify cookies",
)
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(path_type=Path, exists=True),
    help="the site's bandeau policy (else read from a bandeau site's /config)",
)
@click.option(
    "--draft-policy",
    type=click.Path(path_type=Path),
    help="write a starting bandeau policy from what was found",
)
@click.option("--necessary-only", is_flag=True, help="also refuse through the settings layer")
@click.option(
    "--viewport",
    type=click.Choice(["desktop", "mobile", "both"]),
    default="both",
    show_default=True,
    help="scan on a 1280 x 800 desktop window, a 320 x 640 touch phone, or both (each "
    "finding names the viewports it was seen on)",
)
@click.option(
    "--chromium",
    type=click.Path(path_type=Path),
    default="/usr/bin/chromium",
    show_default=True,
    help="the Chromium to drive",
)
@click.option(
    "--autoconsent",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="the @duckduckgo/autoconsent package folder: its rules as a second banner source",
)
def scan(
    urls: tuple[str, ...],
    json_file: Path | None,
    html_file: Path | None,
    fail_on: str,
    max_pages: int,
    concurrency: int,
    cookie_db: Path | None,
    policy_file: Path | None,
    draft_policy: Path | None,
    necessary_only: bool,
    viewport: str,
    chromium: Path,
    autoconsent: Path | None,
) -> None:
    """Audit pages in Chromium: before a choice, after refusal, after acceptance (docs/scanner.md).
    Exit 0 when no finding reaches --fail-on, 1 when one does, 2 on a usage or browser error."""
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise click.UsageError(f"{url!r} is not an http(s) URL: give the full address")
    from .scanner.command import run_scan

    sys.exit(
        run_scan(
            list(urls),
            dict(
                max_pages=max_pages,
                concurrency=concurrency,
                cookie_db=cookie_db,
                policy=policy_file,
                necessary_only=necessary_only,
                autoconsent=autoconsent,
                viewports=("desktop", "mobile") if viewport == "both" else (viewport,),
            ),
            chromium=chromium,
            reports=(json_file, html_file, draft_policy),
            fail_on=fail_on,
        )
    )


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
