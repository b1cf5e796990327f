"""The detector's words and the classifier, without a browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from bandeau.scanner.classify import (
    Classifier,
    CookieDb,
    by_features,
    lifetime_bucket,
    read_cookie_db,
    retention_bucket,
    value_shape,
    vendor_purpose,
)
from bandeau.scanner.errors import ScanError
from bandeau.scanner.instrument import lifetime_days, parse_cookie
from bandeau.scanner.model import LinearModel, Seen, Settings, featurise, normalise, words
from bandeau.scanner.words import role_of, speaks_of_consent

# ../shared beside the repository (CI's clone), else the machine's copy; read in place
OCD = next(
    (
        p / "data" / "open-cookie-database.csv"
        for p in (Path(__file__).parents[3] / "shared", Path("/work/shared"))
        if (p / "data" / "open-cookie-database.csv").exists()
    ),
    Path("/work/shared/data/open-cookie-database.csv"),
)


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("Tout refuser", "refuse"),
        ("Continuer sans accepter", "refuse"),
        ("Alle ablehnen", "refuse"),
        ("Rifiuta tutti", "refuse"),
        ("Odrzuć wszystkie", "refuse"),
        ("Tout accepter", "accept"),
        ("Alle akzeptieren", "accept"),
        ("Aceptar todo", "accept"),
        ("Hyväksy kaikki", "accept"),
        ("Paramétrer vos choix", "settings"),
        ("Einstellungen", "settings"),
        ("Enregistrer mes choix", "save"),
        ("OK", "acknowledge"),
        ("Fermer", "close"),
        ("Lire la suite de l'article", None),
    ],
)
def test_button_roles_in_eu_languages(label: str, role: str | None) -> None:
    """CNIL-01: refusal is recognised before acceptance ("sans accepter" is a refusal)."""
    assert role_of(label) == role


def test_consent_wording() -> None:
    assert speaks_of_consent("Nous utilisons des traceurs")
    assert speaks_of_consent("Wir verwenden Cookies")
    assert not speaks_of_consent("Le conseil municipal a voté le budget")


def test_lifetime_from_max_age_and_expires() -> None:
    now = 1_700_000_000.0
    assert lifetime_days("a=1; Max-Age=86400; Expires=Thu, 01 Jan 2099 00:00:00 GMT", now) == 1
    assert lifetime_days("a=1; Path=/", now) is None
    assert round(lifetime_days("a=1; expires=Wed, 15 Nov 2023 22:13:20 GMT", now) or 0) == 1
    assert parse_cookie("_x=abc; Domain=.example.org; Path=/", "www.example.org") == (
        "_x",
        "example.org",
        "abc",
    )


def test_features_classifier() -> None:
    assert by_features("PHPSESSID") == "necessary"
    assert by_features("_ga") == "analytics"
    assert by_features("_ad_id") == "advertising"
    assert by_features("cc_cookie") == "consent"
    assert by_features("x1", third_party=True) == "advertising"
    assert by_features("x1") == "unknown"


def test_documented_product_names_are_facts() -> None:
    """Without a cookie database: a documented product's cookie by its exact name or prefix,
    case-sensitive (`IDE` is DoubleClick's, `ide` is nobody's in particular)."""
    assert vendor_purpose("_ga_3XK2PQ") == "analytics"
    assert vendor_purpose("_fbp") == "advertising"
    assert vendor_purpose("IDE") == "advertising"
    assert vendor_purpose("ide") is None
    assert vendor_purpose("fresh") is None  # `fr` is an exact name, not a prefix
    assert vendor_purpose("__cf_bm") == "necessary"
    assert by_features("_gcl_au") == "advertising"


@pytest.mark.parametrize(
    ("value", "shape"),
    [
        ("3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60", "id"),
        ("GA1.1.1234567890.1700000000", "id"),
        ("1700000000123", "timestamp"),
        ("%7B%22theme%22%3A%22dark%22%7D", "json"),
        ("true", "flag"),
        ("fr-FR", "flag"),
        ("abcdefghijklmnopqrstuv", ""),
        ("", ""),
    ],
)
def test_value_shapes(value: str, shape: str) -> None:
    assert value_shape(value) == shape


def test_value_and_lifetime_decide_a_name_nobody_knows() -> None:
    """A long-lived identifier follows the reader (not exempt); the same identifier for the
    session is the site's session; a flag is a setting."""
    uid = "3f1c2a9e8b7d4c6e9f0a1b2c3d4e5f60"
    assert by_features("zq", lifetime_days=390, value=uid) == "analytics"
    assert by_features("zq", lifetime_days=400, value="1700000000") == "analytics"
    assert by_features("zq", lifetime_days=None, value=uid) == "necessary"
    assert by_features("zq", lifetime_days=180, value="1") == "preferences"
    assert by_features("zq", lifetime_days=180, value="plain words") == "unknown"


def test_unknown_is_not_exempt() -> None:
    verdict = Classifier().cookie("zz")
    assert (verdict.purpose, verdict.exempt) == ("unknown", False)


@pytest.fixture(scope="module")
def ocd() -> CookieDb:
    return CookieDb(read_cookie_db(OCD))


def test_cookie_database_read_in_place(ocd: CookieDb) -> None:
    """The Open Cookie Database, read from ../shared (never copied into the project)."""
    assert Classifier(db=ocd).cookie("_ga").source == "cookie-db"
    assert Classifier(db=ocd).cookie("_ga").purpose == "analytics"


@pytest.mark.parametrize(
    ("name", "domain", "lifetime", "purpose"),
    [
        ("MYAPPSESSID", "", "session", "necessary"),
        ("cart_token", "", "session", "necessary"),
        ("csrftoken", "", "year", "necessary"),
        ("pageview_count", "", "years", "analytics"),
        ("adserver_uid", "ads.adnet.example", "year", "advertising"),
        ("retargeting_id", "track.example", "year", "advertising"),
        ("bid_sync", "sync.exchange.example", "month", "advertising"),
    ],
)
def test_model_names_cookies_the_database_lacks(
    ocd: CookieDb, name: str, domain: str, lifetime: str, purpose: str
) -> None:
    """Names no row of the database has, answered by the model learned from it."""
    verdict = Classifier(db=ocd).cookie(
        name, third_party=bool(domain), domain=domain, lifetime=lifetime
    )
    assert (verdict.purpose, verdict.source) == (purpose, "cookie-db-model")


def test_database_entry_comes_before_a_consent_word(tmp_path: Path) -> None:
    """A name with a consent word is a consent record unless the database lists that name
    (`CMPS` is an ad server's id); a CMP's record known by its exact name stays one."""
    csv = tmp_path / "db.csv"
    csv.write_text(
        "ID,Platform,Category,Cookie / Data Key name,Domain,Description,Retention period,"
        "Data Controller,User Privacy & GDPR Rights Portals,Wildcard match\n"
        "1,X,Marketing,CMPS,,,1 year,,,0\n"
        "2,X,Marketing,euconsent-v2,,,1 year,,,0\n"
        "3,Y,Functional,sid,,,session,,,0\n"
    )
    classifier = Classifier(db=CookieDb(read_cookie_db(csv)))
    assert classifier.cookie("CMPS").purpose == "advertising"
    assert classifier.cookie("my_consent").purpose == "consent"
    assert classifier.cookie("euconsent-v2").purpose == "consent"


def test_bad_cookie_database_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "db.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ScanError, match="not an Open Cookie Database"):
        read_cookie_db(bad)


def test_model_learns_from_examples() -> None:
    examples = [("_pk_id", "analytics"), ("_pk_ses", "analytics"), ("sessid", "necessary")]
    model = LinearModel((featurise(Seen(name)), purpose) for name, purpose in examples)
    assert model.predict(featurise(Seen("_pk_ref"))) == "analytics"
    assert model.predict(featurise(Seen("sessid2"))) == "necessary"


def test_model_reads_lifetime_and_vendor_domain() -> None:
    """The same unseen name leans on what a scan sees beside it: a year-long cookie another
    site set (an ad server's) against a session cookie of the site itself."""
    examples = [
        (featurise(Seen("uid", "ads.example", "year")), "advertising"),
        (featurise(Seen("bid", "ads.example", "year")), "advertising"),
        (featurise(Seen("sid", "", "session")), "necessary"),
        (featurise(Seen("lb", "", "session")), "necessary"),
    ]
    model = LinearModel(examples)
    assert model.predict(featurise(Seen("xq", "ads.example", "year"))) == "advertising"
    assert model.predict(featurise(Seen("xq", "", "session"))) == "necessary"


def test_model_weighs_every_class_alike() -> None:
    """A class with one example against many of another still gets its own name back: each
    example weighs 1 / its class's count (the figure aimed at is balanced accuracy)."""
    examples = [(featurise(Seen(f"pref{i}")), "preferences") for i in range(30)]
    examples.append((featurise(Seen("zzqq_track")), "advertising"))
    model = LinearModel(examples)
    assert model.predict(featurise(Seen("zzqq_track"))) == "advertising"


def test_model_reads_a_vendor_cookie_by_its_lifetime() -> None:
    """One vendor's session cookie and its year-long cookie with the same first word are told
    apart by the lifetime crossed with the vendor's domain and with the word."""
    examples = [
        (featurise(Seen(f"vx_{s}", "cdn.vendor.example", "session")), "necessary")
        for s in ("a", "b", "c")
    ] + [
        (featurise(Seen(f"vx_{s}", "cdn.vendor.example", "year")), "advertising")
        for s in ("d", "e", "f")
    ]
    model = LinearModel(examples)
    assert model.predict(featurise(Seen("vx_q", "cdn.vendor.example", "session"))) == "necessary"
    assert model.predict(featurise(Seen("vx_q", "cdn.vendor.example", "year"))) == "advertising"
    assert "dt:vendor.example|year" in featurise(Seen("vx_q", "cdn.vendor.example", "year"))
    assert "wt:vx|session|first" in featurise(Seen("vx_q", "", "session"))


def test_model_decides_by_class_then_label() -> None:
    """Labels of one class pool their probability (`necessary` and `preferences` are
    functional, as scored), and a class's leaning multiplies it: the same model answers
    otherwise when analytics leans more."""
    examples = [(featurise(Seen("sid")), "necessary"), (featurise(Seen("lang")), "preferences")]
    examples += [(featurise(Seen("visits")), "analytics")]
    neutral = Settings(leanings=())
    group = {"necessary": "functional", "preferences": "functional"}
    model = LinearModel(examples, neutral, group)
    probs = model.probabilities(featurise(Seen("zz")))
    functional = probs["necessary"] + probs["preferences"]
    assert functional > probs["analytics"] > max(probs["necessary"], probs["preferences"])
    assert model.predict(featurise(Seen("zz"))) in ("necessary", "preferences")
    leaning = Settings(leanings=(("analytics", 2 * functional / probs["analytics"]),))
    assert LinearModel(examples, leaning, group).predict(featurise(Seen("zz"))) == "analytics"


def test_names_are_read_without_their_variable_parts() -> None:
    """Ids, UUIDs and numbers in a name say nothing of its purpose: two instances of one
    cookie read alike."""
    assert normalise("_pk_id.1.a1b2c3d4e5") == normalise("_pk_id.7.ffee0099aa")
    assert normalise("sess_3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60") == "sess_#u"
    assert normalise("_ga_3XK2PQ") == "_ga_0xk0pq"  # not hex: only the digits go
    assert words("userMatchHistory_2") == ["user", "match", "history"]
    assert words("AWSALBCORS") == ["awsalbcors"]


def test_lifetime_buckets() -> None:
    assert lifetime_bucket(None) == "session"
    assert lifetime_bucket(0.5) == "day"
    assert lifetime_bucket(395) == "year"
    assert lifetime_bucket(730) == "years"
    assert retention_bucket("Session") == retention_bucket("End of session (browser)")
    assert retention_bucket("30 minutes") == "hour"
    assert retention_bucket("13 months") == "year"
    assert retention_bucket("2 years") == "years"
    assert retention_bucket("Unknown") == ""


def test_wildcard_entries_match_a_variable_part_only(tmp_path: Path) -> None:
    """A wildcard entry is a prefix and an id: `_s` covers `_s2f9c`, not `_shopify_y`."""
    csv = tmp_path / "db.csv"
    csv.write_text(
        "ID,Platform,Category,Cookie / Data Key name,Domain,Description,Retention period,"
        "Data Controller,User Privacy & GDPR Rights Portals,Wildcard match\n"
        "1,X,Marketing,_s,,,1 year,,,1\n"
        "2,Y,Analytics,_pk_id,,,13 months,,,1\n"
    )
    db = CookieDb(read_cookie_db(csv))
    assert db.lookup("_s2f9c") is not None
    assert db.lookup("_shopify_y") is None
    assert db.lookup("_pk_id.1.abcd") is not None
    assert db.lookup("_PK_ID.1") is None  # cookie names are case-sensitive
