from django.urls import path

from apps.lines import views

app_name = "lines"
urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("lines/<int:line_id>/kiosk/", views.kiosk, name="kiosk"),
    path("engineering/", views.engineering, name="engineering"),
]
