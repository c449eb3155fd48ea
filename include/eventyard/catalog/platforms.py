"""Source platforms (MetaRouter's and Segment's SDKs) and the matrix family each belongs to."""

from __future__ import annotations

# Every platform a source (`createApplication(platform: ...)`) may declare, lowercased, mapped
# to the Client / Server / Mobile column of the compatibility matrix.
PLATFORMS: dict[str, str] = {
    "analytics.js": "client",
    "server": "server",
    "analytics-python": "server",
    "analytics-node": "server",
    "analytics-go": "server",
    "analytics-java": "server",
    "analytics-ruby": "server",
    "http": "server",
    "analytics-android": "mobile",
    "analytics-ios": "mobile",
    "analytics-react-native": "mobile",
    "analytics-kotlin": "mobile",
    "analytics-swift": "mobile",
    "metarouter-android": "mobile",
    "metarouter-ios": "mobile",
    "metarouter-react-native": "mobile",
    "flutter": "mobile",
}


def platform_family(platform: str) -> str:
    """The family ("client" | "server" | "mobile") of a source platform, case-insensitively.

    Raises ValueError naming the accepted platforms when the platform is unknown.
    """
    family = PLATFORMS.get(platform.strip().lower()) if isinstance(platform, str) else None
    if family is None:
        raise ValueError(f"unknown source platform {platform!r}; expected one of: {', '.join(PLATFORMS)}")
    return family
