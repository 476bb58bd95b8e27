from participation.core.models import TranslationGroup

from .comments import CommentReaction, CommentReport, CommentThread, ModerationReason, ParticipationComment
from .ideas import Idea, IdeaCategory, IdeaMapPage, IdeaPlace, IdeaStatus, IdeaSupport
from .polls import PollOption, PollPage, PollVote, PollVoteChoice

__all__ = [
    "CommentReaction",
    "CommentReport",
    "CommentThread",
    "Idea",
    "IdeaCategory",
    "IdeaMapPage",
    "IdeaPlace",
    "IdeaStatus",
    "IdeaSupport",
    "ModerationReason",
    "ParticipationComment",
    "PollOption",
    "PollPage",
    "PollVote",
    "PollVoteChoice",
    "TranslationGroup",
]
