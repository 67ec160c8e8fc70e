from django.urls import path

from approvals import views

app_name = "approvals"
urlpatterns = [
    path("runs/<int:run_pk>/", views.run_proposals, name="run_proposals"),
    path("runs/<int:run_pk>/ask/", views.ask, name="ask"),
    path("runs/<int:run_pk>/ticket/", views.ticket, name="ticket"),
    path("runs/<int:run_pk>/post/", views.post_summary, name="post_summary"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/reject/", views.reject, name="reject"),
]
