"""URLs as they may be printed: one function for every log line, message and page that shows one."""

from __future__ import annotations

import re

REDACTED = "***"

# scheme://user:password@host -- also inside a longer text (an exception message that quotes a URL).
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")
# Query parameters that carry credentials by convention.
_SECRET_PARAMS = re.compile(
    r"(?P<name>[?&](?:api[_-]?key|apikey|access[_-]?token|token|password|passwd|pwd|secret|sig|signature)=)"
    r"(?P<value>[^&#\s]*)",
    re.IGNORECASE,
)


def redact_url(text: str) -> str:
    """``text`` (a URL, or any text with URLs in it) with credentials replaced by ``***``: the user
    info (``user:password@`` -> ``user:***@``; a lone token -> ``***@``) and secret-looking query
    parameters (``?api_key=...``). Host, port and path stay: they are what a reader needs."""

    def userinfo(match: re.Match[str]) -> str:
        user, colon, _secret = match["userinfo"].partition(":")
        shown = f"{user}:{REDACTED}" if colon else REDACTED
        return f"{match['scheme']}{shown}@"

    text = _USERINFO.sub(userinfo, text)
    return _SECRET_PARAMS.sub(lambda m: f"{m['name']}{REDACTED}", text)
