"""A loopback fake of the ClinicalTrials.gov API v2 `/api/v2/studies/{nctId}` endpoint,
serving the JSON fixtures in tests/fixtures/registry/ (real v2 field names). Unknown ids
answer 404 as the real API does; a study can be swapped between two fetches (a status
change), slowed down, or served broken. ETags are honoured (304)."""

from __future__ import annotations

from pathlib import Path

from tests.feed_server import FeedServer, Route

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "registry"


class RegistryServer(FeedServer):
    @property
    def api(self) -> str:
        """The base URL to set as `registry.base_url`."""
        return self.url("/api/v2")

    def study(self, nct_id: str, fixture: str | bytes, *, etag: str | None = None,
              delay: float = 0.0, status: int = 200) -> None:
        """Serve `fixture` (a file name in fixtures/registry/, or raw bytes) for the id."""
        body = fixture if isinstance(fixture, bytes) else (FIXTURES / fixture).read_bytes()
        self.add(f"/api/v2/studies/{nct_id}",
                 Route(body=body, status=status, content_type="application/json",
                       etag=etag, delay=delay))

    def asked(self, nct_id: str) -> int:
        return len(self.hits(f"/api/v2/studies/{nct_id}"))
