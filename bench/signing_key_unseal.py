"""Benchmark: unsealing a stored signing key beside cryptography's default load of the same key, in one run.

`signing.keys.unseal_private_key` decrypts the AES-GCM blob and loads the PKCS#8 DER without RSA's consistency
check (the blob is authenticated); the reference decrypts the same blob and loads it with the check, as the
platform did before. Every signature, certificate, CRL and time-stamp unseals a key.

    .venv/bin/python bench/signing_key_unseal.py [--keys 20] [--rounds 5]

Prints milliseconds a key of each, and the ratio platform/reference (lower is faster).
"""

from __future__ import annotations

import argparse
import statistics
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from smartcity.signing import keys, pki

SECRET = "bench-secret-not-for-production-0123456789"  # noqa: S105 (a bench, no real key)


def _reference_unseal(sealed: bytes, public_hash: str) -> object:
    """The same decryption, then the default load with RSA's consistency check."""
    der = AESGCM(keys._sealing_key(SECRET)).decrypt(sealed[2:14], sealed[14:], public_hash.encode())
    return serialization.load_der_private_key(der, password=None)


def _per_key_ms(unseal: object, sealed: list[tuple[bytes, str]]) -> float:
    started = time.perf_counter()
    for blob, public_hash in sealed:
        unseal(blob, public_hash)  # type: ignore[operator]
    return (time.perf_counter() - started) * 1000 / len(sealed)


def run(key_count: int, rounds: int) -> None:
    """Seal `key_count` keys of each size, then time both ways, interleaved, `rounds` times."""
    for bits in (2048, 3072):
        sealed = []
        for _ in range(key_count):
            key = pki.new_rsa_key(bits)
            public_hash = pki.public_key_sha256(key)
            sealed.append((keys.seal_private_key(SECRET, key, public_hash), public_hash))
        platform, reference = [], []
        for _ in range(rounds):
            platform.append(_per_key_ms(lambda b, h: keys.unseal_private_key(SECRET, b, h), sealed))
            reference.append(_per_key_ms(_reference_unseal, sealed))
        ours, theirs = statistics.median(platform), statistics.median(reference)
        print(
            f"RSA-{bits} unseal: platform {ours:.2f} ms/key, reference (with RSA check) {theirs:.2f} ms/key, "
            f"ratio {ours / theirs:.2g} (median of {rounds} rounds of {key_count} keys)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    run(args.keys, args.rounds)


if __name__ == "__main__":
    main()
