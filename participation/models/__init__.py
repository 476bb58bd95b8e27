from participation.core.models import TranslationGroup

from .budgets import Ballot, BallotProject, BudgetPage, District, ProjectCategory, ProjectMilestone, ProjectPage
from .comments import CommentReaction, CommentReport, CommentThread, ModerationReason, ParticipationComment
from .exports import ResultsExport
from .ideas import Idea, IdeaCategory, IdeaMapPage, IdeaPlace, IdeaStatus, IdeaSupport
from .notifications import NotificationSettings, ProcessFollower, SentNotice
from .pacts import (
    Activity,
    ActivityPhoto,
    ActivityProposal,
    ActivityReport,
    ActivitySignup,
    PactMembership,
    PactPage,
    PactSignatory,
    PactStatus,
)
from .polls import PollOption, PollPage, PollVote, PollVoteChoice
from .reports import (
    Open311Key,
    Report,
    ReportCategory,
    ReportFollower,
    ReportingPage,
    ReportOffice,
    ReportPhoto,
    ReportStatus,
    ReportUpdate,
)

__all__ = [
    "Activity",
    "ActivityPhoto",
    "ActivityProposal",
    "ActivityReport",
    "ActivitySignup",
    "PactMembership",
    "PactPage",
    "PactSignatory",
    "PactStatus",
    "Ballot",
    "BallotProject",
    "BudgetPage",
    "District",
    "ProjectCategory",
    "ProjectMilestone",
    "ProjectPage",
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
    "NotificationSettings",
    "Open311Key",
    "Report",
    "ReportCategory",
    "ReportFollower",
    "ReportingPage",
    "ReportOffice",
    "ReportPhoto",
    "ReportStatus",
    "ReportUpdate",
    "ResultsExport",
    "SentNotice",
    "ParticipationComment",
    "PollOption",
    "PollPage",
    "PollVote",
    "PollVoteChoice",
    "ProcessFollower",
    "TranslationGroup",
]
