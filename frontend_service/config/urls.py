from django.urls import path

from ticketing_shared import health
from web.views import accounts, orders, site, tickets

handler400 = "web.views.errors.bad_request"
handler403 = "web.views.errors.permission_denied"
handler404 = "web.views.errors.page_not_found"
handler500 = "web.views.errors.server_error"

urlpatterns = [
    path("", tickets.ticket_list, name="home"),
    path("auth/signup", accounts.signup, name="signup"),
    path("auth/signin", accounts.signin, name="signin"),
    path("auth/signout", accounts.signout, name="signout"),
    path("tickets/new", tickets.ticket_new, name="ticket-new"),
    path("tickets/mine", tickets.ticket_list_mine, name="ticket-list-mine"),
    path("tickets/<uuid:ticket_id>", tickets.ticket_detail, name="ticket-detail"),
    path("tickets/<uuid:ticket_id>/edit", tickets.ticket_edit, name="ticket-edit"),
    path("tickets/<uuid:ticket_id>/purchase", tickets.ticket_purchase, name="ticket-purchase"),
    path("orders", orders.order_list, name="order-list"),
    path("orders/<uuid:order_id>", orders.order_detail, name="order-detail"),
    path("orders/<uuid:order_id>/pay", orders.order_pay, name="order-pay"),
    path("orders/<uuid:order_id>/cancel", orders.order_cancel, name="order-cancel"),
    path("robots.txt", site.robots_txt, name="robots"),
    path("sitemap.xml", site.sitemap_xml, name="sitemap"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", site.readyz, name="readyz"),
]
