from participation.core.models import TranslationGroup

from .comments import CommentThread, ParticipationComment
from .polls import PollOption, PollPage, PollVote, PollVoteChoice

__all__ = [
    "CommentThread",
    "ParticipationComment",
    "PollOption",
    "PollPage",
    "PollVote",
    "PollVoteChoice",
    "TranslationGroup",
]
