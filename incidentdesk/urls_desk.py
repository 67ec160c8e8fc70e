from django.urls import path

from incidentdesk.views import audit, policy

app_name = "desk"
urlpatterns = [
    path("audit/", audit.desk, name="audit"),
    path("policy/", policy.detail, name="policy"),
]
