"""Routes of the domains API under /api/v1/."""

from rest_framework.routers import SimpleRouter

from domains.api.views import DomainViewSet

router = SimpleRouter()
router.register("domains", DomainViewSet, basename="domain")

urlpatterns = router.urls
