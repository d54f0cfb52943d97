"""Routes of the dnsops API under /api/v1/."""

from rest_framework.routers import SimpleRouter

from dnsops.api.views import DaneValidationViewSet

router = SimpleRouter()
router.register("dane-validations", DaneValidationViewSet, basename="dane-validation")

urlpatterns = router.urls
