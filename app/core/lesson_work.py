"""The CPU-bound work of the ``cpu`` lesson, in a module of its own.

A process pool sends work to another process by name (module + function), so the function must
live in an importable module; and a process started fresh (``spawn``) imports this module, so it
imports nothing heavy.
"""

from __future__ import annotations


def count_primes(limit: int) -> int:
    """How many primes are below ``limit``, by trial division: slow on purpose."""
    count = 0
    for n in range(2, limit):
        divisor = 2
        while divisor * divisor <= n:
            if n % divisor == 0:
                break
            divisor += 1
        else:
            count += 1
    return count
