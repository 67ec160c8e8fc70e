from django.urls import path

from incidentdesk.views import services

app_name = "services"
urlpatterns = [
    path("", services.index, name="index"),
    path("<slug:name>/", services.detail, name="detail"),
]
