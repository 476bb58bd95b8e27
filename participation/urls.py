from django.urls import path

from . import views

urlpatterns = [
    path("post/", views.post, name="comment_post"),
    path("<int:comment_id>/reaction/", views.reaction, name="comment_reaction"),
    path("<int:comment_id>/report/", views.report_comment, name="comment_report"),
]
