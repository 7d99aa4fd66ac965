from django.urls import path

from apps.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("lines/<int:line_id>/", views.line_reports, name="line"),
    path("lines/<int:line_id>/generate/", views.generate, name="generate"),
    path("<int:report_id>/<str:fmt>/", views.download, name="download"),
    path("lines/<int:line_id>/templates/new/", views.template_new, name="template_new"),
    path("templates/<int:template_id>/", views.template_edit, name="template_edit"),
    path("lines/<int:line_id>/handover/", views.handover, name="handover"),
    path("lines/<int:line_id>/handover/sign/", views.handover_sign, name="handover_sign"),
]
