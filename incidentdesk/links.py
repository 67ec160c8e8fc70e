"""Links from vendors, shown only when they are plain web links."""


def safe_href(url: str | None) -> str:
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else ""
