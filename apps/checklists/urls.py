from django.urls import path

from apps.checklists import views

app_name = "checklists"
urlpatterns = [
    path("lines/<int:line_id>/jobs/<int:job_id>/", views.fill_for_job, name="fill_for_job"),
    path("lines/<int:line_id>/jobs/<int:job_id>/submit/", views.submit_for_job, name="submit_for_job"),
    path("lines/<int:line_id>/completions/<int:completion_id>/", views.completion, name="completion"),
]
