"""Time from contract request to first byte between two local connectors.

Each round: the consumer's management API starts a negotiation for the provider's offer
and waits for FINALIZED (request, agreement, verification, finalization over DSP), starts
a transfer and waits for STARTED, then fetches the first byte from the provider's data
plane. Prints median and p90 over the rounds against the 100 ms target.

    python bench/negotiation.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from _connectors import ConnectorProcess, data_address, offer_of, provider_with_file

TARGET_MS = 100.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hl-bench-") as tmp:
        work = Path(tmp)
        part = work / "part.bin"
        part.write_bytes(b"hinterland" * 1000)
        provider = provider_with_file(work, part)
        consumer = ConnectorProcess("consumer", work / "consumer")
        timings: list[float] = []
        phases: list[tuple[float, float, float]] = []
        try:
            provider.start()
            consumer.start()
            offer = offer_of(consumer, provider)
            with consumer.management() as api, httpx.Client(timeout=30) as client:
                for round_ in range(args.rounds + 1):
                    start = time.perf_counter()
                    negotiation = api.post("/consumer/negotiations", json={
                        "provider": provider.dsp, "providerDid": provider.did,
                        "offer": offer, "wait": 30}).json()
                    agreed = time.perf_counter()
                    assert negotiation["state"] == "FINALIZED", negotiation
                    transfer = api.post("/consumer/transfers", json={
                        "agreementId": negotiation["agreementId"], "wait": 30}).json()
                    assert transfer["state"] == "STARTED", transfer
                    started = time.perf_counter()
                    endpoint, token = data_address(consumer, transfer["pid"])
                    with client.stream("GET", endpoint, headers={
                            "Authorization": f"Bearer {token}", "Range": "bytes=0-0"}) as reply:
                        first = next(reply.iter_raw())
                    done = time.perf_counter()
                    assert first
                    if round_ == 0:
                        continue  # warm-up: imports, connection pools, DID resolution
                    timings.append((done - start) * 1000)
                    phases.append(((agreed - start) * 1000, (started - agreed) * 1000,
                                   (done - started) * 1000))
        finally:
            provider.stop()
            consumer.stop()
    timings.sort()
    median = statistics.median(timings)
    p90 = timings[int(0.9 * (len(timings) - 1))]
    negotiate = statistics.median(p[0] for p in phases)
    transfer = statistics.median(p[1] for p in phases)
    first_byte = statistics.median(p[2] for p in phases)
    print(f"rounds: {len(timings)} (after one warm-up), two connectors on loopback, SQLite")
    print(f"contract request -> first byte: median {median:.1f} ms, p90 {p90:.1f} ms "
          f"(target <= {TARGET_MS:.0f} ms; ratio target/median {TARGET_MS / median:.2f}x)")
    print(f"  negotiation to FINALIZED: {negotiate:.1f} ms; transfer to STARTED: "
          f"{transfer:.1f} ms; first byte: {first_byte:.1f} ms (medians)")


if __name__ == "__main__":
    main()
