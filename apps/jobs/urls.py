from django.urls import path

from apps.jobs import views

app_name = "jobs"
urlpatterns = [
    path("lines/<int:line_id>/kiosk/", views.kiosk, name="kiosk"),
    path("lines/<int:line_id>/kiosk/panel/", views.kiosk_panel, name="kiosk_panel"),
    path("lines/<int:line_id>/jobs/<int:job_id>/accept/", views.job_accept, name="accept"),
    path("lines/<int:line_id>/jobs/<int:job_id>/start/", views.job_start, name="start"),
    path("lines/<int:line_id>/jobs/<int:job_id>/complete/", views.job_complete, name="complete"),
    path("lines/<int:line_id>/changeover/start/", views.changeover_start, name="changeover_start"),
    path("lines/<int:line_id>/changeover/end/", views.changeover_end, name="changeover_end"),
    path("lines/<int:line_id>/board/", views.board, name="board"),
    path("lines/<int:line_id>/board/panel/", views.board_panel, name="board_panel"),
    path("lines/<int:line_id>/schedule/", views.schedule_create, name="schedule_create"),
    path("lines/<int:line_id>/jobs/<int:job_id>/reassign/", views.job_reassign, name="reassign"),
    path("lines/<int:line_id>/jobs/<int:job_id>/cancel/", views.job_cancel, name="cancel"),
]
