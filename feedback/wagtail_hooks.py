from django.urls import path
from wagtail import hooks

from . import admin_views


@hooks.register("register_admin_urls")
def register_feedback_urls():
    return [
        path("page-feedback/", admin_views.report_view, name="feedback_report"),
        path("page-feedback/export.csv", admin_views.csv_view, name="feedback_csv"),
        path("page-feedback/<uuid:key>/", admin_views.page_report_view, name="feedback_page_report"),
    ]


@hooks.register("register_reports_menu_item")
def register_feedback_menu_item():
    return admin_views.menu_item()
