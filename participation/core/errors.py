"""The domain error every participation flow raises when it refuses a citizen's action."""


class Rejected(Exception):
    """A citizen's action refused, with the message to show them, in their language.

    ``limited`` (a ``ratelimit.RateLimited``) is set when a rate limit refused it: the view then
    answers 429 with ``Retry-After`` instead of 400. VoteRejected, CommentRejected and the like
    subclass it, so views tell the two apart without knowing the flow.
    """

    def __init__(self, message, *, limited=None):
        super().__init__(message)
        self.limited = limited

    @property
    def status(self):
        return 429 if self.limited else 400
