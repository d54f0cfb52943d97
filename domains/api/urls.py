"""Routes of the domains API under /api/v1/."""

from rest_framework.routers import SimpleRouter

from domains.api.views import DomainViewSet, OperationViewSet

router = SimpleRouter()
router.register("domains", DomainViewSet, basename="domain")
router.register("operations", OperationViewSet, basename="operation")

urlpatterns = router.urls
