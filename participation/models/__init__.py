from participation.core.models import TranslationGroup

from .comments import CommentReaction, CommentReport, CommentThread, ModerationReason, ParticipationComment
from .polls import PollOption, PollPage, PollVote, PollVoteChoice

__all__ = [
    "CommentReaction",
    "CommentReport",
    "CommentThread",
    "ModerationReason",
    "ParticipationComment",
    "PollOption",
    "PollPage",
    "PollVote",
    "PollVoteChoice",
    "TranslationGroup",
]
