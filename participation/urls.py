from django.urls import path

from . import comment_edits, personal_data, views

urlpatterns = [
    path("post/", views.post, name="comment_post"),
    path("<int:comment_id>/reaction/", views.reaction, name="comment_reaction"),
    path("<int:comment_id>/report/", views.report_comment, name="comment_report"),
    # The author's own changes; named "<holding key>_edit/_delete" for "my participation"'s links.
    path("<int:comment_id>/edit/", comment_edits.edit, name="comments_edit"),
    path("<int:comment_id>/delete/", comment_edits.delete, name="comments_delete"),
    # "My participation" links: the page of one of the citizen's own items (participation/personal_data.py).
    path("go/<str:kind>/<int:pk>/", personal_data.go_view, name="participation_go"),
]
