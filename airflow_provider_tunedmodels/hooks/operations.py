"""The long-running-operation methods both backends' hooks share: get, cancel and wait.

Gemini API ``tunedModels.create`` and Vertex AI ``tuningJobs.rebaseTunedModel``
both answer with a ``google.longrunning.Operation``; the methods that read,
cancel and wait for one differ only in the calls that address it. A hook mixes
in :class:`OperationMethods` and names its backend's calls in
``operation_calls``; listing operations stays on each hook, whose parameter
names the resource the operations belong to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from airflow_provider_tunedmodels.core.lro import OperationLike, apoll_operation, poll_operation
from airflow_provider_tunedmodels.defaults import DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.core.calls import ApiCall

__all__ = ["OperationCalls", "OperationMethods"]

T = TypeVar("T")
OpT = TypeVar("OpT", bound=OperationLike)


@dataclass(frozen=True)
class OperationCalls(Generic[OpT]):
    """A backend's calls on one operation, each from the operation's full name."""

    get: Callable[[str], ApiCall[OpT]]
    cancel: Callable[[str], ApiCall[None]]


class OperationMethods(Generic[OpT]):
    """``get_operation``, ``cancel_operation`` and ``wait_for_operation``, sync and async.

    The hook sets :attr:`operation_calls` and defines ``_log_operation``, the default
    progress report of a wait.
    """

    #: The backend's calls; set by each hook class.
    operation_calls: OperationCalls[OpT]

    if TYPE_CHECKING:

        def _run(self, call: ApiCall[T]) -> T: ...

        async def _arun(self, call: ApiCall[T]) -> T: ...

        def _log_operation(self, operation: OpT) -> None: ...

    def get_operation(self, name: str) -> OpT:
        """Get an operation by its full name.

        That is ``tunedModels/{id}/operations/{op}`` on the Gemini API and
        ``projects/*/locations/*/tuningJobs/*/operations/*`` on Vertex AI.
        """
        return self._run(self.operation_calls.get(name))

    async def aget_operation(self, name: str) -> OpT:
        """Async :meth:`get_operation`."""
        return await self._arun(self.operation_calls.get(name))

    def cancel_operation(self, name: str) -> None:
        """Ask the server to cancel an operation (best effort).

        On the Gemini API, cancelling is bound on the ``v1`` API only.
        """
        self._run(self.operation_calls.cancel(name))

    async def acancel_operation(self, name: str) -> None:
        """Async :meth:`cancel_operation`."""
        await self._arun(self.operation_calls.cancel(name))

    def wait_for_operation(
        self,
        name: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_poll: Callable[[OpT], Any] | None = None,
    ) -> OpT:
        """Poll until the operation is done; raise if it failed or ``timeout`` passes.

        :raises OperationFailedError: the operation finished with an error.
        :raises OperationTimeoutError: not done in time (it keeps running server-side).
        """
        return poll_operation(
            lambda: self.get_operation(name),
            timeout=timeout,
            poll_interval=poll_interval,
            on_poll=on_poll or self._log_operation,
        )

    async def await_for_operation(
        self,
        name: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_poll: Callable[[OpT], Any] | None = None,
    ) -> OpT:
        """Async :meth:`wait_for_operation`."""
        return await apoll_operation(
            lambda: self.aget_operation(name),
            timeout=timeout,
            poll_interval=poll_interval,
            on_poll=on_poll or self._log_operation,
        )
