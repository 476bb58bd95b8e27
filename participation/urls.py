from django.urls import path

from . import personal_data, views

urlpatterns = [
    path("post/", views.post, name="comment_post"),
    path("<int:comment_id>/reaction/", views.reaction, name="comment_reaction"),
    path("<int:comment_id>/report/", views.report_comment, name="comment_report"),
    # "My participation" links: the page of one of the citizen's own items (participation/personal_data.py).
    path("go/<str:kind>/<int:pk>/", personal_data.go_view, name="participation_go"),
]
