"""Direct-mode state shared by both twins: the balancer, when to (re)fetch the instance list, and
what a failed attempt means for its instance. The twins only do the discovery I/O."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Literal

from ._core.config import ClientConfig
from ._core.discovery import Balancer, Instance, discovery_target, parse_upstreams
from ._core.errors import DiscoveryError, EASError, TransportError, error_for_status
from ._core.flow import RawResponse, WireRequest

logger = logging.getLogger("eas_client")

FetchNeed = Literal["none", "now", "refresh"]


@dataclass
class Route:
    """Where the current call's last attempt went, so a retry can go elsewhere."""

    instance: Instance | None = None


class DirectRouter:
    """Instance list, refresh clock and host choice of one direct-mode client (thread-safe)."""

    def __init__(self, config: ClientConfig) -> None:
        self._config = config
        service = config.endpoint.discovery_service
        assert service is not None  # build_config refuses direct mode without a service
        self.service = service
        self.origin = config.endpoint.origin
        self.target = discovery_target(service)
        self._balancer = Balancer(config.eject_for)
        self._lock = threading.Lock()
        self._fetched_at: float | None = None
        self._refreshing = False

    def need(self, now: float) -> FetchNeed:
        """``now``: no list yet, callers must wait; ``refresh``: stale, this caller refreshes it
        (the sync client in the caller's own thread, the async one in a task) while the others
        keep using the old list; ``none``: fresh or a refresh is under way."""
        with self._lock:
            if self._fetched_at is None:
                return "now"
            if self._refreshing or now - self._fetched_at < self._config.discovery_refresh:
                return "none"
            self._refreshing = True
            return "refresh"

    def has_list(self) -> bool:
        return self._fetched_at is not None

    def apply(self, result: RawResponse | EASError, now: float) -> None:
        """Take a discovery answer. A failure keeps the last good list (and is raised only when
        there is none yet)."""
        try:
            instances = self._parse(result)
        except DiscoveryError as exc:
            with self._lock:
                self._refreshing = False
                if self._fetched_at is not None:
                    self._fetched_at = now  # keep the old list; try again after the refresh period
                    logger.warning(
                        "eas discovery failed, keeping %d instances: %s", len(self._balancer.instances), exc
                    )
                    return
            raise
        with self._lock:
            changed = self._balancer.update(instances)
            self._fetched_at = now
            self._refreshing = False
        if changed:
            logger.debug("eas discovery: %s", ", ".join(f"{i.key}×{i.weight}" for i in instances))

    def _parse(self, result: RawResponse | EASError) -> list[Instance]:
        where = f"{self.origin}{self.target}"
        if isinstance(result, EASError):
            raise DiscoveryError(f"discovery request to {where} failed: {result.message}", endpoint=where)
        if result.status != 200:
            err = error_for_status(
                result.status, result.body, result.headers, endpoint=where, service=self.service, attempts=1
            )
            raise DiscoveryError(f"discovery request failed: {err.message}", endpoint=where)
        return parse_upstreams(result.body, self.service)

    def pick(self, now: float, exclude: Instance | None) -> Instance:
        with self._lock:
            return self._balancer.pick(now, exclude)

    def fetch_request(self, headers: dict[str, str], timeout: float, connect_timeout: float) -> WireRequest:
        """The transport request of one discovery read (no token: the discovery API takes none,
        and it must not travel to a second server)."""
        return WireRequest("GET", self.origin, self.target, headers, b"", timeout, connect_timeout)

    def report(self, instance: Instance, result: RawResponse | TransportError, now: float) -> None:
        """A connect error or reset takes the instance out of rotation for its cool-off (growing
        with failures in a row); any HTTP answer ends the run of failures."""
        if isinstance(result, RawResponse):
            if self._balancer.failing(instance):  # a lock-free read keeps the common path cheap
                with self._lock:
                    self._balancer.succeed(instance)
            return
        if result.cause_kind in ("connect", "reset"):
            with self._lock:
                cool_off = self._balancer.eject(instance, now)
            logger.debug("eas direct: %s ejected for %.1fs (%s)", instance.key, cool_off, result.cause_kind)
