"""The HTTPS report intake, mounted at /tlsrpt/ (nothing else is reachable under it)."""

from django.urls import path

from domains.tlsrpt.intake import receive_report

urlpatterns = [path("<str:token>/", receive_report, name="tlsrpt-intake")]
