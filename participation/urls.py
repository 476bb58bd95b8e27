from django.urls import path

from . import views

urlpatterns = [
    path("post/", views.post, name="comment_post"),
    path("<int:comment_id>/reaction/", views.reaction, name="comment_reaction"),
]
