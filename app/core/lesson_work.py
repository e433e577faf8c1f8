"""The CPU-bound work of the ``cpu`` lesson, in a module of its own.

A process pool sends work to another process by name (module + function), so the function must
live in an importable module; and a process started fresh (``spawn``) imports this module, so it
imports nothing heavy.

The function is defined from :data:`COUNT_PRIMES_SOURCE`, the text the lesson's code view shows:
an installed LoopLab may ship compiled files only, with no source for ``inspect`` to read, and
the code on screen must still be exactly the code that runs.
"""

from __future__ import annotations

from collections.abc import Callable

COUNT_PRIMES_SOURCE = '''\
def count_primes(limit):
    """Primes below limit, by slow trial division."""
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
'''

# Defined here, in this module's namespace, so pickle finds it as app.core.lesson_work.count_primes.
exec(compile(COUNT_PRIMES_SOURCE, "<app.core.lesson_work.COUNT_PRIMES_SOURCE>", "exec"), globals())  # noqa: S102 - our own constant text
count_primes: Callable[[int], int]
