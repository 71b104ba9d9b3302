"""What a worker forked by gunicorn renews before its first call: one hook for the package.

A thread of the parent may have held a lock as it forked, and that thread does not
exist in the child to release it; the parent's sockets are not the child's to use. Each
object that holds either registers with ``renew_after_fork`` and gets its
``after_fork()`` called in the child, before anything else runs there.
"""

from __future__ import annotations

import os
import weakref
from typing import Protocol


class RenewedAfterFork(Protocol):
    """An object holding a lock or sockets that a forked child must not inherit as they are."""

    def after_fork(self) -> None:
        """In the forked child: fresh locks, no inherited sockets."""
        ...


_RENEWED: weakref.WeakSet[RenewedAfterFork] = weakref.WeakSet()


def renew_after_fork(holder: RenewedAfterFork) -> None:
    """Calls ``holder.after_fork()`` in every child forked while ``holder`` lives."""
    _RENEWED.add(holder)


def _renew_in_child() -> None:
    for holder in list(_RENEWED):
        holder.after_fork()


os.register_at_fork(after_in_child=_renew_in_child)
