"""Generate config/countries.json from pycountry plus config/country_extras.yaml.

Run ``python -m pipeline.nlp.build_country_lexicon`` after upgrading pycountry or editing the extras;
the output is committed so the enrichment never imports pycountry at run time. Keys are lower-cased,
whitespace-collapsed and accent-folded (``pipeline.folding.fold``); see the extras file header
for the matching rules they serve.
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

# Kinds, most specific first: when two countries claim one key, the earlier kind wins.
_KINDS = ("name", "demonym", "metonym", "capital", "place")
# Countries whose states/provinces (from pycountry) count as mentions of the country: the corpora are
# North American and Australian news, where "Ontario" or "Florida" in a quote means Canada or the US.
# Elsewhere subdivision names collide with common words too often ("Central", "Western", "Orange").
_SUBDIVISION_COUNTRIES = ("US", "CA", "AU")
# Codes outside ISO 3166-1 that newsrooms use anyway (Kosovo's user-assigned XK).
_EXTRA_COUNTRIES = {"XK": {"name": "Kosovo", "alpha3": "XKX"}}


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


def build(extras_path: Path = EXTRAS_PATH) -> dict[str, Any]:
    """The lexicon as a JSON-ready dict (pure apart from reading the extras file and pycountry)."""
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
    return {
        "_generated": "by python -m pipeline.nlp.build_country_lexicon; edit config/country_extras.yaml",
        "pycountry_version": version("pycountry"),
        "countries": dict(sorted(countries.items())),
        "exact": {str(k): v for k, v in (extras.get("exact") or {}).items()},
        "aliases": aliases,
        "ambiguous": dict(sorted(ambiguous.items())),
        "blocked": sorted({fold(str(b)) for b in extras.get("blocked") or []}),
        "orgs": dict(sorted(orgs.items())),
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
