"""The one-line summary of a report's metadata that the console table shows."""

SUMMARY_ITEMS = 3
SUMMARY_MAX_LENGTH = 255
PART_MAX_LENGTH = 32


def summarize_metadata(metadata) -> str:
    """A short line about a report's metadata: its limits ("cpu 50,000 · gpu 800"), else the
    first plain values, else its keys; at most SUMMARY_MAX_LENGTH characters."""
    if not isinstance(metadata, dict) or not metadata:
        return ""
    limits = metadata.get("limits")
    source = limits if isinstance(limits, dict) and limits else metadata
    # Keys in alphabetical order: PostgreSQL's JSONB does not keep the order they came in.
    items = sorted(source.items(), key=lambda item: str(item[0]))
    parts = [f"{_short(str(key))} {_plain(value)}" for key, value in items if _plain(value)]
    if not parts:
        parts = [_short(str(key)) for key, _value in items]
    shown = parts[:SUMMARY_ITEMS]
    if len(parts) > len(shown):
        shown.append(f"+{len(parts) - len(shown)} more")
    return _short(" · ".join(shown), SUMMARY_MAX_LENGTH)


def _plain(value) -> str:
    """A scalar as short text ("50,000", "yes", "gpu"); "" for lists, objects and nulls."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return _short(f"{value:,}")
    if isinstance(value, str) and value:
        return _short(value)
    return ""


def _short(text: str, limit: int = PART_MAX_LENGTH) -> str:
    """The text, cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
