"""URLs of the web UI (namespace ``ui``): account pages, then everything of one tenant under
``/t/<slug>/``."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.views.i18n import set_language

from domains.ui.views import account, domains

app_name = "ui"

ACCOUNT = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="ui/auth/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(
            template_name="ui/auth/password_change.html",
            success_url=reverse_lazy("ui:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="ui/auth/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        auth_views.PasswordResetView.as_view(
            template_name="ui/auth/password_reset.html",
            email_template_name="ui/auth/password_reset_email.txt",
            subject_template_name="ui/auth/password_reset_subject.txt",
            success_url=reverse_lazy("ui:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="ui/auth/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="ui/auth/password_reset_confirm.html",
            success_url=reverse_lazy("ui:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="ui/auth/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("i18n/setlang/", set_language, name="set_language"),
]

TENANT = [
    path("t/<slug:slug>/", domains.domain_list, name="domains"),
]

urlpatterns = [path("", account.home, name="home"), *ACCOUNT, *TENANT]
