# Payments' one route is its collection, `POST /api/payments` (config.urls): nothing below it.
urlpatterns = []
