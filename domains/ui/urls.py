"""URLs of the web UI (namespace ``ui``): account pages, then everything of one tenant under
``/t/<slug>/``."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.views.i18n import set_language

from domains.ui.views import (
    account,
    activity,
    check_batches,
    commands,
    domain_search,
    domains,
    inbound_keys,
    notifications,
    operations_queue,
    operator,
    outbound,
    partitions,
    status,
    tenant_settings,
    tls_reports,
)

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
    path("t/<slug:slug>/domains/add/", domains.add_domain, name="domain_add"),
    path("t/<slug:slug>/recheck-all/", check_batches.recheck_all, name="recheck_all"),
    path(
        "t/<slug:slug>/check-batches/<str:batch_id>/progress/",
        check_batches.batch_progress,
        name="check_batch_progress",
    ),
    path("t/<slug:slug>/domains/<str:name>/", domains.domain_detail, name="domain"),
    path("t/<slug:slug>/domains/<str:name>/verify/", domains.verify_domain, name="domain_verify"),
    path("t/<slug:slug>/domains/<str:name>/recheck/", domains.recheck, name="domain_recheck"),
    path(
        "t/<slug:slug>/domains/<str:name>/run/<str:command>/",
        commands.confirm_command,
        name="command",
    ),
    path(
        "t/<slug:slug>/operations/<uuid:operation_id>/progress/",
        commands.operation_progress,
        name="operation_progress",
    ),
]

# Pages 5-10: a domain's reports, the outbound test, operations and audit, settings.
D = "t/<slug:slug>/domains/<str:name>/"
TENANT += [
    path(f"{D}status/", status.status_report, name="status"),
    path(f"{D}status/refresh/", status.status_refresh, name="status_refresh"),
    path(f"{D}status/runs/<uuid:run_id>/", status.status_run, name="status_run"),
    path(f"{D}inbound/", status.inbound_status, name="inbound"),
    path(f"{D}history/", status.history, name="history"),
    path(f"{D}tls-reports/", tls_reports.tls_reports, name="tls_reports"),
    path(
        f"{D}tls-reports/<uuid:report_id>/raw/",
        tls_reports.tls_report_raw,
        name="tls_report_raw",
    ),
    path("t/<slug:slug>/outbound/", outbound.outbound_index, name="outbound"),
    path(
        "t/<slug:slug>/outbound/<uuid:validation_id>/",
        outbound.outbound_detail,
        name="outbound_detail",
    ),
    path("t/<slug:slug>/operations/", activity.operations, name="operations"),
    path("t/<slug:slug>/audit/", activity.audit, name="audit"),
    path("t/<slug:slug>/settings/", tenant_settings.settings_page, name="settings"),
    path("t/<slug:slug>/settings/keys/", tenant_settings.create_api_key, name="create_api_key"),
    path(
        "t/<slug:slug>/settings/keys/<str:prefix>/revoke/",
        tenant_settings.revoke_api_key,
        name="revoke_api_key",
    ),
    path("t/<slug:slug>/settings/members/", tenant_settings.add_member, name="add_member"),
    path(
        "t/<slug:slug>/settings/notifications/",
        notifications.notifications_page,
        name="notifications",
    ),
    path(
        "t/<slug:slug>/settings/notifications/webhooks/",
        notifications.create_webhook,
        name="webhook_create",
    ),
    path(
        "t/<slug:slug>/settings/notifications/webhooks/<uuid:webhook_id>/delete/",
        notifications.delete_webhook,
        name="webhook_delete",
    ),
    path(
        "t/<slug:slug>/settings/notifications/webhooks/<uuid:webhook_id>/test/",
        notifications.test_webhook,
        name="webhook_test",
    ),
    path(
        "t/<slug:slug>/settings/notifications/digest/",
        notifications.set_digest,
        name="digest",
    ),
    path(
        "t/<slug:slug>/settings/members/<int:membership_id>/role/",
        tenant_settings.change_role,
        name="change_role",
    ),
    path(
        "t/<slug:slug>/settings/members/<int:membership_id>/remove/",
        tenant_settings.remove_member,
        name="remove_member",
    ),
]

OPERATOR = [
    path("operator/", operator.index, name="operator"),
    path("operator/tlsrpt/", tls_reports.operator_tlsrpt, name="operator_tlsrpt"),
    path("operator/partitions/", partitions.partitions, name="operator_partitions"),
    path(
        "operator/partitions/<int:partition_id>/repair-drift/",
        partitions.repair_drift,
        name="operator_repair_drift",
    ),
    path("operator/operations/", operations_queue.queue, name="operator_operations"),
    # Path parameters are plain strings (a malformed id is a 404 from the view), so that the
    # guard answers every operator URL alike (tests/ui/test_operator_access.py).
    path(
        "operator/operations/<str:operation_id>/",
        operations_queue.detail,
        name="operator_operation",
    ),
    path(
        "operator/operations/<str:operation_id>/rerun/",
        operations_queue.rerun,
        name="operator_rerun",
    ),
    path("operator/domains/", domain_search.search, name="operator_domains"),
    path("operator/domains/<int:domain_id>/", domain_search.domain, name="operator_domain"),
    path("operator/inbound-keys/", inbound_keys.inbound_keys, name="operator_inbound_keys"),
    path(
        "operator/inbound-keys/<path:name>/promote/",
        inbound_keys.promote_key,
        name="operator_inbound_key_promote",
    ),
    path(
        "operator/inbound-keys/<path:name>/retire/",
        inbound_keys.retire_key,
        name="operator_inbound_key_retire",
    ),
]

urlpatterns = [path("", account.home, name="home"), *ACCOUNT, *TENANT, *OPERATOR]
