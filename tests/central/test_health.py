from __future__ import annotations

from datetime import datetime

import httpx

from common.version import __version__


def test_health_names_the_database(base_url: str, database_url: str) -> None:
    response = httpx.get(f"{base_url}/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert datetime.fromisoformat(body["time"]).tzinfo is not None
    assert body["database"] == ("sqlite" if database_url.startswith("sqlite") else "postgresql")


def test_openapi_document_is_published(base_url: str) -> None:
    document = httpx.get(f"{base_url}/openapi.json").json()
    assert document["info"]["title"] == "Kiosk central API"
    assert "/api/v1/offices/{office}/counters/{counter}/call-next" in document["paths"]
