"""Routes of the operator API under /api/v1/operator/."""

from django.urls import path

from domains.api.operator import RepairDriftView, RerunOperationView

urlpatterns = [
    path(
        "operations/<str:operation_id>/rerun/",
        RerunOperationView.as_view(),
        name="operator-operation-rerun",
    ),
    path(
        "partitions/<int:partition_id>/repair-drift/",
        RepairDriftView.as_view(),
        name="operator-partition-repair-drift",
    ),
]
