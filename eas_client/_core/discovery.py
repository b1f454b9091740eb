"""Direct (VPC) mode: discovery response parsing and host choice (spec/protocol.md DISC-*).

Host choice is smooth weighted round robin (the nginx algorithm): each pick adds every eligible
instance's weight to its running score, takes the highest score (first in list order on a tie)
and subtracts the eligible total from it. Picks are spread evenly (weights 1/1/2 give a, c, b, c),
and over any run of sum-of-weights picks each instance gets exactly its weight.

An instance that failed at the connection level is *down* for ``eject_for``, doubled for each
further failure in a row (at most ``MAX_EJECT_DOUBLINGS`` times) until a call to it gets an HTTP
answer: a dead instance that discovery still lists costs one attempt a cool-off, and the
cool-offs grow. Down instances and the instance a retry is leaving are not eligible. If nothing
is eligible, the instance whose cool-off ends first is used (it is the most likely to be back).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import DiscoveryError

DISCOVERY_PATH = "/api/v1/servicediscovery/upstreams/"
# The largest weight every language holds in a signed 32-bit integer (DISC-2).
MAX_WEIGHT = 2**31 - 1
# Weight used when an item omits it: EAS gives every instance weight 100 unless told otherwise.
DEFAULT_WEIGHT = 100
# 5 s doubled 4 times is 80 s: long enough that a dead instance costs almost nothing, short
# enough that a restarted one is back in rotation within a minute or so.
MAX_EJECT_DOUBLINGS = 4


@dataclass(frozen=True)
class Instance:
    host: str
    port: int
    weight: int

    @property
    def key(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def discovery_target(service: str) -> str:
    """The request target of the discovery call for a service (name up to its first ``/``)."""
    return DISCOVERY_PATH + service.split("/", 1)[0]


def parse_upstreams(body: bytes, service: str) -> list[Instance]:
    """Parse ``{"endpoints": {"items": [{"ip", "port", "weight"}]}}`` or raise DiscoveryError."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise DiscoveryError(
            f"discovery answer for service {service} is not JSON: {body[:80]!r}; check that the "
            "endpoint is the EAS discovery server"
        ) from None
    items = doc.get("endpoints", {}).get("items") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or not isinstance(doc.get("endpoints"), dict) or not isinstance(items, list):
        raise DiscoveryError(
            f"discovery answer for service {service} has no endpoints.items list; "
            "check the endpoint and the service name"
        )
    instances = [_instance(item, i, service) for i, item in enumerate(items)]
    usable = [inst for inst in instances if inst.weight > 0]
    if not usable:
        raise DiscoveryError(f"service {service} has no running instances (discovery returned none)")
    return usable


def _instance(item: object, index: int, service: str) -> Instance:
    where = f"discovery item {index} for service {service}"
    if not isinstance(item, dict):
        raise DiscoveryError(f"{where} is not an object")
    host, port, weight = item.get("ip"), item.get("port"), item.get("weight", DEFAULT_WEIGHT)
    if not isinstance(host, str) or not host or any(c.isspace() or c in "/?#@" for c in host):
        raise DiscoveryError(f"{where} has an invalid ip {host!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise DiscoveryError(f"{where} has an invalid port {port!r}")
    if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= MAX_WEIGHT:
        raise DiscoveryError(f"{where} has an invalid weight {weight!r}")
    return Instance(host, port, weight)


class Balancer:
    """Smooth weighted round robin with connection-failure cool-offs. Not thread-safe: callers lock.

    Example::

        b = Balancer(eject_for=5.0)
        b.update([Instance("10.0.0.1", 80, 1), Instance("10.0.0.2", 80, 2)])
        b.pick(now=0.0).key  # "10.0.0.2:80"
    """

    def __init__(self, eject_for: float) -> None:
        self.eject_for = eject_for
        self.instances: list[Instance] = []
        self._score: dict[str, int] = {}
        self._down_until: dict[str, float] = {}
        self._failures: dict[str, int] = {}

    def update(self, instances: Iterable[Instance]) -> bool:
        """Replace the list; scores restart only when the set of (host, port, weight) changes.
        Cool-offs of instances that stay are kept. Returns whether the set changed."""
        new = list(instances)
        if set(new) == set(self.instances):
            self.instances = new
            return False
        self.instances = new
        keys = {inst.key for inst in new}
        self._score = {inst.key: 0 for inst in new}
        self._down_until = {k: t for k, t in self._down_until.items() if k in keys}
        self._failures = {k: n for k, n in self._failures.items() if k in keys}
        return True

    def pick(self, now: float, exclude: Instance | None = None) -> Instance:
        if not self.instances:
            raise DiscoveryError("no instances to choose from")
        eligible = [
            inst
            for inst in self.instances
            if self._down_until.get(inst.key, 0.0) <= now and (exclude is None or inst.key != exclude.key)
        ]
        if not eligible:
            eligible = [inst for inst in self.instances if exclude is None or inst.key != exclude.key]
            if not eligible:
                return self.instances[0]
            return min(eligible, key=lambda inst: self._down_until.get(inst.key, 0.0))
        total = 0
        best: Instance | None = None
        for inst in eligible:
            score = self._score.get(inst.key, 0) + inst.weight
            self._score[inst.key] = score
            total += inst.weight
            if best is None or score > self._score[best.key]:
                best = inst
        assert best is not None
        self._score[best.key] -= total
        return best

    def eject(self, instance: Instance, now: float) -> float:
        """Mark an instance down after a connect error or reset; returns the cool-off."""
        failures = self._failures.get(instance.key, 0) + 1
        self._failures[instance.key] = failures
        cool_off: float = self.eject_for * 2.0 ** min(failures - 1, MAX_EJECT_DOUBLINGS)
        self._down_until[instance.key] = now + cool_off
        return cool_off

    def failing(self, instance: Instance) -> bool:
        return instance.key in self._failures

    def succeed(self, instance: Instance) -> None:
        """An HTTP answer (any status) from the instance: its next failure starts a fresh cool-off."""
        self._failures.pop(instance.key, None)
