"""A refused form, offered again with what the person typed.

Discord cannot keep a modal open after its submission, nor answer a submission with another
modal. So when the core refuses one answer (`Response.field_error`), the reply says why and
carries a "Try again" button; pressing it opens the same form filled in with what they
typed, to correct rather than retype. The typed words stay in this process's memory only —
never in the database or the log — bounded in number and for FORM_LIFETIME at most.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

from bot.messages import Button, Form, OutMessage, say

#: The button's action (the adapter handles it itself; the core never sees it).
RETRY = "discord.retry"
TRY_AGAIN = "Try again"
EXPIRED = "That form has expired (or copbot restarted): please start again."
#: How long a form shown, or a refused answer, is kept to offer again (Discord's modals
#: last 15 minutes).
FORM_LIFETIME = 15 * 60.0
MEMORY = 500


class FormRetries:
    """The forms shown lately (per person) and the refused answers waiting to be retried."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._shown: OrderedDict[tuple[str, str, str], tuple[float, Form]] = OrderedDict()
        self._waiting: OrderedDict[str, tuple[float, str, Form]] = OrderedDict()

    def shown(self, user_id: str, form: Form) -> None:
        """`form` was opened for `user_id`."""
        self._put(self._shown, (user_id, form.form_id, form.metadata), (self._now(), form))

    def offer(
        self,
        user_id: str,
        form_id: str,
        metadata: str,
        typed: Mapping[str, str],
        message: OutMessage | None,
    ) -> OutMessage | None:
        """The refusal `message` with a "Try again" button that reopens the form holding
        `typed` (the message unchanged when the form is no longer known)."""
        found = self._fresh(self._shown.get((user_id, form_id, metadata)))
        if found is None:
            return message
        form = found[-1]
        filled = form.model_copy(
            update={
                "fields": tuple(
                    field.model_copy(update={"initial": typed[field.name][:4000]})
                    if typed.get(field.name)
                    else field
                    for field in form.fields
                )
            }
        )
        token = secrets.token_urlsafe(12)
        self._put(self._waiting, token, (self._now(), user_id, filled))
        base = message or say("Please check your answer.")
        again = Button(label=TRY_AGAIN, action=RETRY, value=token, style="primary")
        return base.model_copy(update={"buttons": (*base.buttons, again)})

    def take(self, token: str, user_id: str) -> Form | None:
        """The filled-in form behind `token`, for its own person only (once)."""
        found = self._fresh(self._waiting.get(token))
        if found is None or found[1] != user_id:
            return None
        del self._waiting[token]
        return found[-1]

    def _fresh(self, entry: tuple | None) -> tuple | None:  # type: ignore[type-arg]
        if entry is None or self._now() - entry[0] > FORM_LIFETIME:
            return None
        return entry

    def _put(self, store: OrderedDict, key: object, value: object) -> None:  # type: ignore[type-arg]
        store[key] = value
        store.move_to_end(key)
        while len(store) > MEMORY:
            store.popitem(last=False)
